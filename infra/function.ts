/**
 * One Pagerless Lambda function: the bundle built with the package (dist/functions/<name>, by
 * bin/build.mjs) plus the compiled config (monitors.json), Node.js 22 on arm64, with a log group
 * with a retention. Synth runs no bundler: no esbuild, Docker or lockfile on the user's machine.
 */
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DockerImage, Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Architecture, Code, Function as LambdaFunction, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ENV, type FunctionName } from '../shared/adapters/aws/tables.ts';
import { BUNDLED_CONFIG_NAME } from './config.ts';
import type { MetricsOf } from './metrics.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
/**
 * Where the prebuilt bundles are: dist/functions of the repository when this runs from its source
 * (infra/function.ts), the package's dist/functions when it runs compiled (dist/lib/infra/function.js).
 */
export const BUNDLES_DIR = import.meta.url.endsWith('.ts') ? resolve(HERE, '../dist/functions') : resolve(HERE, '../../functions');

/** The runtime every function uses (DESIGN: nodejs20.x is deprecated on Lambda). */
export const FUNCTION_RUNTIME = Runtime.NODEJS_22_X;

export interface PagerlessFunctionProps {
  readonly name: FunctionName;
  /** The compiled config (SynthConfig.compiledJson), written into the package as `monitors.json`. */
  readonly compiledJson: string;
  /** The home region (tables, secrets), in every function's environment. */
  readonly home: string;
  /** Where the function's metrics go (Powertools namespace and service). */
  readonly metrics: MetricsOf;
  /**
   * Of the log group. Its name is generated, so a retained one never blocks a redeploy.
   * @default RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE
   */
  readonly removalPolicy?: RemovalPolicy;
  /** Variables besides the ones every function gets (config file, home region, Powertools). */
  readonly environment: Record<string, string>;
  readonly timeout: Duration;
  /** @default 256 */
  readonly memorySize?: number;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
  /** Async invocation retries (scheduled functions). @default - Lambda's default (2) */
  readonly retryAttempts?: number;
  /** @default - none */
  readonly description?: string;
  /** @default - a name CloudFormation generates */
  readonly functionName?: string;
  /** X-Ray active tracing. @default false */
  readonly tracing?: boolean;
}

/** A Lambda function with Pagerless's packaging, runtime and logging. */
export class PagerlessFunction extends LambdaFunction {
  /** The function's log group (the dashboard's Logs Insights widgets read it). */
  readonly functionLogs: LogGroup;

  constructor(scope: Construct, id: string, props: PagerlessFunctionProps) {
    const logGroup = new LogGroup(scope, `${id}Logs`, {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    });
    // Our own role: logs scoped to this function's log group instead of AWSLambdaBasicExecutionRole.
    const role = new Role(scope, `${id}Role`, { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    logGroup.grantWrite(role);
    super(scope, id, {
      role,
      code: functionCode(stageFunctionPackage(props.name, props.compiledJson)),
      handler: 'index.handler',
      runtime: FUNCTION_RUNTIME,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout,
      description: props.description,
      functionName: props.functionName,
      retryAttempts: props.retryAttempts,
      tracing: props.tracing ? Tracing.ACTIVE : undefined,
      logGroup,
      environment: {
        [ENV.configFile]: BUNDLED_CONFIG_NAME,
        [ENV.homeRegion]: props.home,
        POWERTOOLS_SERVICE_NAME: props.metrics.metricsService,
        POWERTOOLS_METRICS_NAMESPACE: props.metrics.metricsNamespace,
        ...props.environment,
      },
    });
    this.functionLogs = logGroup;
  }
}

/**
 * The staged folder as the function's code asset. Copied into cdk.out by a local "bundling" step
 * rather than by CDK's own copy, which makes the asset folder with the umask's mode (0700 under
 * umask 077): this one sets the modes whatever the umask. The hash is the folder's content.
 */
function functionCode(staged: string): Code {
  return Code.fromAsset(staged, {
    bundling: {
      // Never pulled or run: the local copy always succeeds, so synth needs no Docker.
      image: DockerImage.fromRegistry('scratch'),
      local: {
        tryBundle(outputDir: string): boolean {
          for (const file of ['index.mjs', BUNDLED_CONFIG_NAME]) {
            copyFileSync(join(staged, file), join(outputDir, file));
            chmodSync(join(outputDir, file), 0o644);
          }
          chmodSync(outputDir, 0o755);
          return true;
        },
      },
    },
  });
}

/**
 * A folder holding the function's package: its prebuilt bundle (index.mjs) and the compiled config
 * (monitors.json). Named by the hash of both, so the same config gives the same folder and the same
 * asset hash; written aside and renamed, so concurrent synths never see half of one.
 */
export function stageFunctionPackage(name: FunctionName, compiledJson: string): string {
  const bundleFile = join(BUNDLES_DIR, name, 'index.mjs');
  if (!existsSync(bundleFile)) {
    throw new Error(`Pagerless: the ${name} function's bundle ${bundleFile} is missing: build it with \`npm run build\` (the published package includes it)`);
  }
  const bundle = readFileSync(bundleFile);
  const hash = createHash('sha256').update(bundle).update('\0').update(compiledJson).digest('hex');
  // Private to this user: `${env:...}` values are resolved in the config.
  const parent = join(tmpdir(), `pagerless-synth-${process.getuid?.() ?? 'user'}`);
  mkdirSync(parent, { recursive: true, mode: 0o700 });
  const dir = join(parent, `${name}-${hash.slice(0, 32)}`);
  if (existsSync(join(dir, BUNDLED_CONFIG_NAME))) return dir;
  const aside = mkdtempSync(join(parent, `.${name}-`));
  // Lambda runs the code as a user that does not own the files, and the CDK CLI keeps file modes in
  // the zip: everything must be world-readable whatever the umask, or every cold start fails with EACCES.
  for (const [file, contents] of [['index.mjs', bundle], [BUNDLED_CONFIG_NAME, compiledJson]] as const) {
    writeFileSync(join(aside, file), contents);
    chmodSync(join(aside, file), 0o644);
  }
  chmodSync(aside, 0o755);
  try {
    renameSync(aside, dir);
  } catch (err) {
    // Another synth staged the same package first: theirs is identical.
    rmSync(aside, { recursive: true, force: true });
    if (!existsSync(join(dir, BUNDLED_CONFIG_NAME))) throw err;
  }
  return dir;
}
