/**
 * The AWS deployment's shared vocabulary: table keys, index names, resource names and the
 * environment variables the functions read. infra/ and the adapters both import it, so a name
 * is written once.
 */

/** Results table: ONE item per prober batch (compact), streamed to the evaluator. */
export const RESULTS_TABLE = {
  partitionKey: 'pk',
  sortKey: 'sk',
  /** Epoch seconds; DynamoDB TTL deletes items after the retention. */
  ttlAttribute: 'ttl',
} as const;

/** State table: check states, incidents, timelines, the outbox, pings, reaction ledger and memos. */
export const STATE_TABLE = {
  partitionKey: 'pk',
  sortKey: 'sk',
  ttlAttribute: 'ttl',
  /** Sparse index of outbox items still to run: partition `duePk`, sort `dueAt` (epoch ms). */
  dueIndex: { name: 'due', partitionKey: 'duePk', sortKey: 'dueAt' },
} as const;

/** Physical names are fixed so that stacks in other regions can address them without lookups. */
export const RESOURCE_NAMES = {
  resultsTable: 'pagerless-results',
  stateTable: 'pagerless-state',
  probeQueue: 'pagerless-probes',
  probeDeadLetterQueue: 'pagerless-probes-dlq',
  alertTopic: 'pagerless-alerts',
  opsTopic: 'pagerless-ops',
  metricsNamespace: 'Pagerless',
} as const;

/** Environment variables of the Lambda functions (only the composition roots in functions/ read them). */
export const ENV = {
  resultsTable: 'PAGERLESS_RESULTS_TABLE',
  stateTable: 'PAGERLESS_STATE_TABLE',
  /** JSON object: prober region -> SQS queue URL (scheduler only). */
  queueUrls: 'PAGERLESS_QUEUE_URLS',
  /** The region a prober runs in (its results are tagged with it). */
  region: 'PAGERLESS_REGION',
  /** Path of the bundled compiled config (monitors.json, made at synth) inside the function package. */
  configFile: 'PAGERLESS_CONFIG_FILE',
  alertTopicArn: 'PAGERLESS_ALERT_TOPIC_ARN',
  /** The home region (tables, secrets); probers run elsewhere. */
  homeRegion: 'PAGERLESS_HOME_REGION',
} as const;

/** The SQS message body the scheduler sends and the prober reads. */
export interface ProbeBatchMessage {
  v: 1;
  /** Epoch ms the batch was scheduled to run at (start of the minute + its DelaySeconds). */
  at: number;
  /** Check ids, `service/check`. */
  checks: string[];
}

/** Functions and their entry files (infra bundles these with esbuild). */
export const FUNCTIONS = ['scheduler', 'prober', 'evaluator', 'ingest', 'status'] as const;
export type FunctionName = (typeof FUNCTIONS)[number];
