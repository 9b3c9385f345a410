/**
 * The composition root of the Lambda functions: reads the environment once per cold start, loads
 * the compiled config `cdk synth` bundled, resolves `${ssm:}`/`${secret:}` references, and builds the AWS
 * adapters. Every function shares it; each uses what it needs (clients are created lazily).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { CompiledConfig } from '../../config/compile.ts';
import { hydrateCompiled, referencesInScope, withResolvedReferences, type ReferenceScope } from '../../config/compiled-json.ts';
import { Engine } from '../../engine/engine.ts';
import { createRedactor } from '../../kit/redact.ts';
import { CachedStateStore } from '../../engine/state-cache.ts';
import { systemClock, type AwsClients, type Clock, type Logger } from '../../ports.ts';
import { lazyAwsClients, perKey } from './clients.ts';
import { DynamoStore } from './dynamo-store.ts';
import { createSecretResolver } from './secret-resolver.ts';
import { SqsProbeQueue } from './sqs-queue.ts';
import { ENV } from './tables.ts';

export type Environment = Record<string, string | undefined>;

export interface AwsRuntime extends BaseRuntime {
  /** The evaluator's state cache; `validate()` it once per stream batch. */
  stateCache: CachedStateStore;
  /** The engine's verbs over the DynamoDB store. */
  engine: Engine;
  aws: AwsClients;
  /** The scheduler's queues; undefined where PAGERLESS_QUEUE_URLS is not set. */
  queue?: SqsProbeQueue;
  /** The scheduler's replay of failed stream batches; undefined where PAGERLESS_EVALUATOR_DLQ_URL is not set. */
  replay?: () => Promise<{ replayed: number; results: number; left: number }>;
  log: Logger;
}

function required(env: Environment, name: string): string {
  const v = env[name];
  if (!v) throw new Error(`environment variable ${name} is not set (the stack sets it; is this the right function?)`);
  return v;
}

export interface RuntimeOverrides {
  clock?: Clock;
  /** Endpoint overrides for emulators (tests): DynamoDB, SQS. */
  dynamodb?: DynamoDBClient;
  sqs?: (region: string) => SQSClient;
  aws?: AwsClients;
  configText?: string;
  log?: Logger;
  /**
   * Which references to resolve (and the role may read): the checks' (the prober), also the
   * tokens (the HTTP functions), or all (the functions that send). @default 'all'
   */
  secretScope?: ReferenceScope;
}

/** What every function needs: the config (resolved), the store, the clock, where it runs. */
export interface BaseRuntime {
  config: CompiledConfig;
  clock: Clock;
  store: DynamoStore;
  region: string;
}

/**
 * The config the stack bundled (compiled and validated at `cdk synth`), with its `${ssm:}` and
 * `${secret:}` references resolved in the home region.
 */
async function loadBundledConfig(env: Environment, home: string, overrides: RuntimeOverrides, scope: ReferenceScope): Promise<CompiledConfig> {
  const file = env[ENV.configFile] ?? 'monitors.json';
  const path = file.startsWith('/') ? file : join(env.LAMBDA_TASK_ROOT ?? process.cwd(), file);
  let config = hydrateCompiled(overrides.configText ?? readFileSync(path, 'utf8'));
  // The alert topic the stack creates receives every check's events, like a configured sns channel.
  const alertTopic = env[ENV.alertTopicArn];
  if (alertTopic) config = withAlertTopic(config, alertTopic);
  // A prober needs the secrets of its checks only: a channel's missing key must not stop probing.
  const refs = referencesInScope(config, scope);
  if (refs.length === 0) return config;
  const [{ SSMClient }, { SecretsManagerClient }] = await Promise.all([import('@aws-sdk/client-ssm'), import('@aws-sdk/client-secrets-manager')]);
  const resolver = createSecretResolver({ ssm: new SSMClient({ region: home }), secrets: new SecretsManagerClient({ region: home }) });
  const resolved = new Map<string, string>();
  for (const ref of refs) {
    const [, kind, name, fallback] = /^\$\{(ssm|secret):([^}:]*)(?::-([^}]*))?\}$/.exec(ref) ?? [];
    if (!kind || name === undefined) throw new Error(`${ref}: not a reference this version understands`);
    try {
      resolved.set(ref, await resolver.resolve(kind as 'ssm' | 'secret', name));
    } catch (err) {
      if (fallback === undefined) throw err;
      resolved.set(ref, fallback);
    }
  }
  // `target` is shown by /api/checks: it keeps the reference, never the secret (which joins `secrets`).
  return withResolvedReferences(config, resolved);
}

/** The stack's alert topic as one more channel of every check (id `pagerless-alerts`). */
export function withAlertTopic(config: CompiledConfig, topicArn: string): CompiledConfig {
  const id = 'pagerless-alerts';
  if (config.channels[id]) return config;
  return {
    ...config,
    channels: { ...config.channels, [id]: { id, type: 'sns', spec: { type: 'sns', topicArn } } },
    checks: config.checks.map((c) => ({ ...c, alert: [...c.alert, id] })),
  };
}

/** Config, store and clock only: what the prober needs, without the engine (a small bundle). */
export async function createBaseRuntime(env: Environment, overrides: RuntimeOverrides = {}): Promise<BaseRuntime> {
  // Tables and secrets live in the home region, wherever this function runs.
  const home = env[ENV.homeRegion] ?? env.AWS_REGION ?? 'us-east-1';
  const region = env[ENV.region] ?? env.AWS_REGION ?? home;
  const config = await loadBundledConfig(env, home, overrides, overrides.secretScope ?? 'all');
  const clock = overrides.clock ?? systemClock;
  const ddb = overrides.dynamodb ?? new DynamoDBClient({ region: config.settings.home ?? home });
  const client = DynamoDBDocumentClient.from(ddb, { marshallOptions: { removeUndefinedValues: true } });
  const store = new DynamoStore({
    client,
    stateTable: required(env, ENV.stateTable),
    resultsTable: required(env, ENV.resultsTable),
    region,
    retentionMs: config.settings.retentionMs,
    // /api/checks must see every check's last round, even one that runs every hour.
    latestWindowMs: Math.max(15 * 60_000, 2 * Math.max(0, ...config.checks.map((c) => c.intervalMs))),
  });
  return { config, clock, store, region };
}

/** The full runtime: the base plus the evaluator, the effect executor and the probe queues. */
export async function createAwsRuntime(env: Environment, overrides: RuntimeOverrides = {}): Promise<AwsRuntime> {
  const { config, clock, store, region } = await createBaseRuntime(env, overrides);
  const aws: AwsClients = overrides.aws ?? lazyAwsClients();
  // Every value a ${...} reference resolved to is redacted from what the engine logs and prints.
  const redact = createRedactor(config.secrets);
  const line = (level: string, message: string, fields?: Record<string, unknown>) => redact(JSON.stringify({ level, message, ...fields }));
  const log: Logger = overrides.log ?? {
    info: (message, fields) => console.info(line('INFO', message, fields)),
    warn: (message, fields) => console.warn(line('WARN', message, fields)),
    error: (message, fields) => console.error(line('ERROR', message, fields)),
  };
  // The evaluator reads states through a cache: most results change nothing (see state-cache.ts).
  const stateCache = new CachedStateStore(store, () => clock.now());
  const engine = new Engine({ config, store, states: stateCache, clock, log, aws, print: (text) => console.info(redact(text)) });
  const queueUrls = env[ENV.queueUrls];
  let queue: SqsProbeQueue | undefined;
  if (queueUrls) {
    let urls: Record<string, string>;
    try {
      urls = JSON.parse(queueUrls) as Record<string, string>;
    } catch {
      throw new Error(`${ENV.queueUrls} must be a JSON object of region -> queue URL`);
    }
    const { SQSClient: Client } = await import('@aws-sdk/client-sqs'); // the scheduler only
    queue = new SqsProbeQueue(overrides.sqs ?? perKey((r) => new Client({ region: r })), urls);
  }
  const dlqUrl = env[ENV.evaluatorDlqUrl];
  let replay: AwsRuntime['replay'];
  if (dlqUrl) {
    const { SQSClient: Client } = await import('@aws-sdk/client-sqs');
    const sqs = overrides.sqs?.(region) ?? new Client({ region });
    const { replayFailedBatches } = await import('./replay.ts');
    replay = () => replayFailedBatches({ sqs, queueUrl: dlqUrl, store, engine, log });
  }
  return { config, clock, store, stateCache, engine, aws, region, queue, replay, log };
}

/**
 * Build once per container, on first use (not at import: a bad config fails the invocation,
 * visibly); a failed build is tried again by the next invocation.
 */
function oncePerContainer<T>(build: (env: Environment) => Promise<T>): (env: Environment) => Promise<T> {
  let cached: Promise<T> | undefined;
  return (env) => {
    cached ??= build(env).catch((err) => {
      cached = undefined;
      throw err;
    });
    return cached;
  };
}

/** The full runtime of the functions that send (scheduler, evaluator): every reference resolved. */
// Pure: a function that never calls it (the prober) bundles none of the engine.
export const awsRuntime = /* @__PURE__ */ oncePerContainer((env) => createAwsRuntime(env));

/** The HTTP functions' runtime: they send nothing, so channels' and reactions' secrets stay unread. */
export const serveRuntime = /* @__PURE__ */ oncePerContainer((env) => createAwsRuntime(env, { secretScope: 'serve' }));

/** The prober's runtime: config and store only, and only its checks' secrets. */
export const baseRuntime = /* @__PURE__ */ oncePerContainer((env) => createBaseRuntime(env, { secretScope: 'probe' }));
