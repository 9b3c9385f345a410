/**
 * One Pagerless Lambda function: functions/<name>.ts bundled by esbuild (no Docker), Node.js 22 on
 * arm64, with the compiled config (monitors.json) in the package and a log group with a retention.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ENV, type FunctionName } from '../shared/adapters/aws/tables.ts';
import { BUNDLED_CONFIG_NAME } from './config.ts';
import type { MetricsOf } from './metrics.ts';

/** The repository root (infra/..): entry files, the lockfile and esbuild live there. */
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

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
}

/** A NodejsFunction with Pagerless's packaging, runtime and logging. */
export class PagerlessFunction extends NodejsFunction {
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
    const configPath = stageConfig(props.compiledJson);
    super(scope, id, {
      role,
      entry: join(PROJECT_ROOT, 'functions', `${props.name}.ts`),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
      runtime: FUNCTION_RUNTIME,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout,
      description: props.description,
      functionName: props.functionName,
      retryAttempts: props.retryAttempts,
      logGroup,
      environment: {
        [ENV.configFile]: BUNDLED_CONFIG_NAME,
        [ENV.homeRegion]: props.home,
        POWERTOOLS_SERVICE_NAME: props.metrics.metricsService,
        POWERTOOLS_METRICS_NAMESPACE: props.metrics.metricsNamespace,
        ...props.environment,
      },
      bundling: {
        minify: true,
        sourceMap: false,
        target: 'node22',
        format: OutputFormat.ESM,
        mainFields: ['module', 'main'],
        // Some CommonJS dependencies call require() on Node built-ins; give the ESM bundle one.
        banner: "import{createRequire as __pagerlessRequire}from'node:module';const require=__pagerlessRequire(import.meta.url);",
        // The Node.js 22 runtime ships the AWS SDK v3.
        externalModules: ['@aws-sdk/*'],
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          // Lambda runs the code as a user that does not own the files, and the CDK CLI keeps file
          // modes in the zip: everything must be world-readable (the staged config is 0600, and a
          // umask of 077 makes the bundle 0600 too), or every cold start fails with EACCES.
          afterBundling: (_inputDir: string, outputDir: string) => [
            `cp ${shellQuote(configPath)} ${shellQuote(join(outputDir, BUNDLED_CONFIG_NAME))}`,
            `chmod -R u=rwX,go=rX ${shellQuote(outputDir)}`,
          ],
        },
      },
    });
    this.functionLogs = logGroup;
  }
}

/**
 * The compiled config in a file the bundling hook can copy (it can be larger than a command line
 * may be). Named by its hash: the same config is written once per synth.
 */
function stageConfig(json: string): string {
  // Private to this user: `${env:...}` values are resolved in it.
  const dir = join(tmpdir(), `pagerless-synth-${process.getuid?.() ?? 'user'}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, `${createHash('sha256').update(json).digest('hex')}.json`);
  if (!existsSync(file)) writeFileSync(file, json, { mode: 0o600 });
  return file;
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
