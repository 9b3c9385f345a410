/**
 * The AWS deployment's shared vocabulary: table keys, index names, resource names and the
 * environment variables the functions read. infra/ and the adapters both import it, so a name
 * is written once.
 */
import { DEFAULT_DEPLOYMENT_NAME } from '../../kit/deployment-name.ts';

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

/**
 * A deployment's physical names, each prefixed by its name (settings.name). They are fixed, not
 * generated, so that stacks in other regions address them without lookups; the default
 * deployment's are the names Pagerless always had, so upgrading replaces nothing.
 */
export function resourceNames(deployment: string = DEFAULT_DEPLOYMENT_NAME) {
  return {
    deployment,
    resultsTable: `${deployment}-results`,
    stateTable: `${deployment}-state`,
    probeQueue: `${deployment}-probes`,
    probeDeadLetterQueue: `${deployment}-probes-dlq`,
    alertTopic: `${deployment}-alerts`,
    opsTopic: `${deployment}-ops`,
    /** The same in every region (the home region's dashboard reads its metrics by name). */
    proberFunction: `${deployment}-prober`,
    /** `<deployment>-<severity>-<id>` */
    alarm: (severity: string, id: string) => `${deployment}-${severity}-${id}`,
    dashboard: deployment === DEFAULT_DEPLOYMENT_NAME ? 'Pagerless' : deployment,
    api: deployment,
    /** Shared by every deployment; the `service` dimension below tells them apart. */
    metricsNamespace: 'Pagerless',
    /** The Powertools `service` dimension of every metric the functions emit (POWERTOOLS_SERVICE_NAME). */
    metricsService: deployment,
  } as const;
}

export type ResourceNames = ReturnType<typeof resourceNames>;

/** The default deployment's names (`pagerless-results`...). */
export const RESOURCE_NAMES: ResourceNames = resourceNames();

/** Environment variables of the Lambda functions (only the composition roots in functions/ read them). */
export const ENV = {
  resultsTable: 'PAGERLESS_RESULTS_TABLE',
  stateTable: 'PAGERLESS_STATE_TABLE',
  /** JSON object: prober region -> SQS queue URL (scheduler only). */
  queueUrls: 'PAGERLESS_QUEUE_URLS',
  /** The evaluator's on-failure queue: the scheduler replays the stream batches in it (replay.ts). */
  evaluatorDlqUrl: 'PAGERLESS_EVALUATOR_DLQ_URL',
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
