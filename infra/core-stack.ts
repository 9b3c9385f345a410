/**
 * The home region: tables and topics (PagerlessStorage), the scheduler on an EventBridge
 * schedule, the evaluator on the Results stream, the HTTP API in front of ingest and status,
 * alarms and the dashboard.
 */
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { CfnStage, HttpApi, HttpMethod, HttpStage, LogGroupLogDestination, type IHttpApi, type ThrottleSettings } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { ManagedPolicy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { FilterCriteria, FilterRule, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Queue, QueueEncryption, type IQueue } from 'aws-cdk-lib/aws-sqs';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { ENV, STATE_TABLE } from '../shared/adapters/aws/tables.ts';
import { coreAlarmPlan, PipelineAlarms } from './alarms.ts';
import { effectStatements, effectTargetFindings, grantTableAccess, keyWildcardFinding, packStatements, probeQueueArn, probeQueueUrl, secretStatements } from './permissions.ts';
import { effectTargets, expectsSteadyResults, probeWindowMinutes, quietWindowMinutes, referencedSecrets, type SynthConfig } from './config.ts';
import { PagerlessDashboard } from './dashboard.ts';
import { PagerlessFunction } from './function.ts';
import { PagerlessStorage } from './storage.ts';
import { acknowledgeFunction, acknowledgeNag } from './nag.ts';

/**
 * The routes of the HTTP API and the function behind each (DESIGN.md, route for route with the
 * local server). `open`: no bearer token is checked (anyone who knows the URL may call it).
 */
export const API_ROUTES: readonly { readonly path: string; readonly methods: readonly HttpMethod[]; readonly fn: 'ingest' | 'status'; readonly open?: boolean }[] = [
  { path: '/', methods: [HttpMethod.GET], fn: 'status' }, // the dashboard (it reads /api/* with the status token)
  { path: '/status', methods: [HttpMethod.GET], fn: 'status' },
  { path: '/status/{service}', methods: [HttpMethod.GET], fn: 'status' },
  { path: '/health', methods: [HttpMethod.GET], fn: 'status', open: true },
  { path: '/api/checks', methods: [HttpMethod.GET], fn: 'status' },
  { path: '/api/incidents', methods: [HttpMethod.GET], fn: 'status' },
  { path: '/api/incidents/{id}', methods: [HttpMethod.GET], fn: 'status' },
  { path: '/ping/{token}', methods: [HttpMethod.GET, HttpMethod.POST], fn: 'ingest', open: true },
  { path: '/ping/{token}/fail', methods: [HttpMethod.GET, HttpMethod.POST], fn: 'ingest', open: true },
  { path: '/hooks/{source}', methods: [HttpMethod.POST], fn: 'ingest' },
];

/** Route keys (`GET /health`) of the routes that check no token. */
export const OPEN_ROUTE_KEYS: readonly string[] = API_ROUTES.filter((r) => r.open).flatMap((r) => r.methods.map((m) => `${m} ${r.path}`));

export interface PagerlessCoreProps {
  /** The validated config (see loadSynthConfig); its compiled JSON is bundled into every function. */
  readonly config: SynthConfig;
  /**
   * Of every stateful resource: tables, topics and their key, the evaluator's dead-letter queue,
   * log groups. @default RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE
   */
  readonly removalPolicy?: RemovalPolicy;
  /** @default - a new customer managed key with rotation (see PagerlessStorageProps.topicKey) */
  readonly topicKey?: IKey;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
  /** @default 256 */
  readonly memorySize?: number;
  /**
   * Throttling of the HTTP API (its routes are public: a ceiling on what a flood can cost). It is
   * the stage's default route setting, so each route has this limit on its own (ten routes may
   * take ten times it together, within the account's API Gateway quota).
   * @default { rateLimit: 50, burstLimit: 100 }
   */
  readonly apiThrottle?: ThrottleSettings;
  /**
   * Throttling of each route that checks no token (`GET /health`, `GET|POST /ping/{token}` and
   * `/ping/{token}/fail`, see OPEN_ROUTE_KEYS), instead of apiThrottle: e.g. a lower limit for
   * /health, which only a load balancer should poll.
   * @default - apiThrottle, per route
   */
  readonly openRouteThrottle?: ThrottleSettings;
  /** X-Ray active tracing on every function. @default false */
  readonly tracing?: boolean;
  /** @default - no subscription: subscribe to `opsTopic` yourself */
  readonly opsEmail?: string;
}

export class PagerlessCore extends Construct {
  readonly storage: PagerlessStorage;
  readonly resultsTable: ITable;
  readonly stateTable: ITable;
  readonly alertTopic: ITopic;
  readonly opsTopic: ITopic;
  readonly scheduler: PagerlessFunction;
  readonly evaluator: PagerlessFunction;
  readonly ingest: PagerlessFunction;
  readonly status: PagerlessFunction;
  /** Stream batches the evaluator could not apply after its retries. */
  readonly evaluatorDeadLetters: IQueue;
  readonly api: IHttpApi;
  /** The API's base URL (`https://<id>.execute-api.<region>.amazonaws.com/`). */
  readonly apiUrl: string;
  readonly alarms: PipelineAlarms;
  readonly dashboard: PagerlessDashboard;

  constructor(scope: Construct, id: string, props: PagerlessCoreProps) {
    super(scope, id);
    const { config, home, regions, names } = props.config;
    const logRetention = props.logRetention ?? RetentionDays.ONE_MONTH;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE;

    this.storage = new PagerlessStorage(this, 'Storage', { names, removalPolicy, topicKey: props.topicKey });
    const { resultsTable, stateTable, alertTopic, opsTopic } = this.storage;
    this.resultsTable = resultsTable;
    this.stateTable = stateTable;
    this.alertTopic = alertTopic;
    this.opsTopic = opsTopic;
    if (props.opsEmail) opsTopic.addSubscription(new EmailSubscription(props.opsEmail));

    const tables = { [ENV.resultsTable]: resultsTable.tableName, [ENV.stateTable]: stateTable.tableName };
    const fn = (name: 'scheduler' | 'evaluator' | 'ingest' | 'status', timeout: Duration, environment: Record<string, string>, extra: { retryAttempts?: number; description: string }) =>
      new PagerlessFunction(this, name[0]!.toUpperCase() + name.slice(1), {
        name,
        home,
        metrics: names,
        compiledJson: props.config.compiledJson,
        timeout,
        memorySize: props.memorySize,
        logRetention,
        removalPolicy,
        tracing: props.tracing,
        environment: { ...tables, ...environment },
        ...extra,
      });

    // Scheduler: every minute, sends each prober region its batches; evaluates heartbeats; retries due effects.
    const queueUrls = Object.fromEntries(regions.map((r) => [r, probeQueueUrl(this, r, names)]));
    this.scheduler = fn('scheduler', Duration.seconds(50), {
      [ENV.queueUrls]: Stack.of(this).toJsonString(queueUrls),
      [ENV.alertTopicArn]: alertTopic.topicArn,
    }, {
      // The next minute is a fresh run: a late retry would only send an old minute's probes.
      retryAttempts: 0,
      description: 'Pagerless: sends this minute\'s probe batches to every prober region',
    });
    this.scheduler.addToRolePolicy(new PolicyStatement({
      sid: 'SendProbeBatches',
      actions: ['sqs:SendMessage'],
      resources: regions.map((r) => probeQueueArn(this, r, names)),
    }));
    new Rule(this, 'EveryMinute', {
      description: 'Pagerless: run the scheduler every minute',
      schedule: Schedule.rate(Duration.minutes(1)),
      // No retries: a retried minute would send its probes twice (each counted as a round). A failed
      // minute is skipped; the next one runs, and the function-errors alarm says so.
      targets: [new LambdaFunction(this.scheduler, { retryAttempts: 0, maxEventAge: Duration.minutes(1) })],
    });

    // Evaluator: the Results stream (inserts only: TTL deletions would only cost invocations).
    this.evaluator = fn('evaluator', Duration.seconds(60), { [ENV.alertTopicArn]: alertTopic.topicArn }, {
      description: 'Pagerless: applies results to the incident engine and runs its effects',
    });
    const evaluatorDlq = new Queue(this, 'EvaluatorDeadLetters', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy,
    });
    acknowledgeNag(evaluatorDlq, 'AwsSolutions-SQS3', 'This queue is itself the on-failure destination of the evaluator\'s stream event source (a dead-letter queue); the scheduler replays what it holds.');
    this.evaluatorDeadLetters = evaluatorDlq;
    // The scheduler replays failed batches every minute from the Results items they carried (replay.ts).
    this.scheduler.addEnvironment(ENV.evaluatorDlqUrl, evaluatorDlq.queueUrl);
    evaluatorDlq.grantConsumeMessages(this.scheduler);
    this.scheduler.addToRolePolicy(new PolicyStatement({
      sid: 'ReplayFailedBatches',
      actions: ['dynamodb:Query'],
      resources: [resultsTable.tableArn],
    }));
    this.evaluator.addEventSource(new DynamoEventSource(resultsTable, {
      startingPosition: StartingPosition.TRIM_HORIZON,
      batchSize: 100,
      maxBatchingWindow: Duration.seconds(1),
      bisectBatchOnError: true,
      retryAttempts: 3,
      maxRecordAge: Duration.hours(1),
      reportBatchItemFailures: true,
      onFailure: new SqsDlq(evaluatorDlq),
      filters: [FilterCriteria.filter({ eventName: FilterRule.isEqual('INSERT') })],
    }));

    // Ingest (pings, hooks) and status (status, health, api) behind the HTTP API.
    this.ingest = fn('ingest', Duration.seconds(10), {}, { description: 'Pagerless: /ping and /hooks' });
    this.status = fn('status', Duration.seconds(10), {}, { description: 'Pagerless: /status, /health and /api' });

    // Data access, least privilege per function.
    const due = [STATE_TABLE.dueIndex.name];
    grantTableAccess(this.scheduler, stateTable, 'readWrite', due);
    grantTableAccess(this.scheduler, resultsTable, 'put');
    grantTableAccess(this.evaluator, stateTable, 'readWrite', due);
    grantTableAccess(this.ingest, stateTable, 'readWrite', due);
    grantTableAccess(this.ingest, resultsTable, 'put');
    grantTableAccess(this.status, stateTable, 'read', due);
    grantTableAccess(this.status, resultsTable, 'read');

    // Effects (notifications, reactions) run in the evaluator and in the scheduler, which retries due ones.
    for (const executor of [this.evaluator, this.scheduler]) {
      alertTopic.grantPublish(executor);
      acknowledgeNag(executor.role!, 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]', 'Publishing to the KMS-encrypted alert topic: Topic.grantPublish grants kms:GenerateDataKey* (the action family SNS documents for encrypted topics) on the topic key only.');
    }
    // In managed policies both executors share, each under IAM's 6,144 characters: a config may
    // name hundreds of instances, more than a role's 10,240-character inline policies hold.
    const effects = effectStatements(this, effectTargets(config, home));
    packStatements(this, effects).forEach((statements, i) => {
      const policy = new ManagedPolicy(this, `EffectsPolicy${i}`, {
        description: `Pagerless: what the configured reactions and sns channels act on (${i + 1})`,
        statements,
        roles: [this.evaluator.role!, this.scheduler.role!],
      });
      acknowledgeTargetKeys(policy, effectTargetFindings(statements));
    });
    acknowledgeNag(this.evaluator.role!, 'AwsSolutions-IAM5[Resource::*]', 'dynamodb:ListStreams, added by the DynamoDB event source, has no resource-level permissions; the stream read actions are scoped to the Results table\'s stream ARN.');
    // The references each function resolves at cold start: the senders all of them; the HTTP
    // functions the checks' and the tokens, never a channel's or a reaction's.
    for (const [f, scope] of [[this.scheduler, 'all'], [this.evaluator, 'all'], [this.ingest, 'serve'], [this.status, 'serve']] as const) {
      const refs = referencedSecrets(config, scope);
      for (const s of secretStatements(this, home, refs)) f.addToRolePolicy(s);
      if (refs.ssm.length + refs.secrets.length > 0) acknowledgeSecretKeys(f, home);
      acknowledgeFunction(f);
    }

    const accessLogs = new LogGroup(this, 'ApiAccessLogs', { retention: logRetention, removalPolicy });
    const api = new HttpApi(this, 'Api', {
      apiName: names.api,
      description: 'Pagerless: status, health, heartbeats and third-party hooks',
      createDefaultStage: false,
    });
    const stage = new HttpStage(this, 'ApiStage', {
      httpApi: api,
      stageName: '$default',
      autoDeploy: true,
      throttle: props.apiThrottle ?? { rateLimit: 50, burstLimit: 100 },
      accessLogSettings: { destination: new LogGroupLogDestination(accessLogs) },
    });
    const integrations = {
      ingest: new HttpLambdaIntegration('Ingest', this.ingest),
      status: new HttpLambdaIntegration('Status', this.status),
    };
    const openRoutes = API_ROUTES.flatMap((route) => {
      const added = api.addRoutes({ path: route.path, methods: [...route.methods], integration: integrations[route.fn] });
      return route.open ? added : [];
    });
    if (props.openRouteThrottle) {
      const { rateLimit, burstLimit } = props.openRouteThrottle;
      // RouteSettings is untyped JSON: CloudFormation's own key names.
      (stage.node.defaultChild as CfnStage).routeSettings = Object.fromEntries(OPEN_ROUTE_KEYS.map((key) => [key, { ThrottlingRateLimit: rateLimit, ThrottlingBurstLimit: burstLimit }]));
      // A stage's route settings name routes that must exist first.
      for (const r of openRoutes) stage.node.addDependency(r);
    }
    acknowledgeNag(api, 'AwsSolutions-APIG4', 'The routes are public by design: load balancers and cron jobs call them without AWS credentials. /status, /api and /hooks check a bearer token (settings.statusToken, settings.ingestToken) in the function; a /ping URL carries its own secret token; /health is deliberately open (DESIGN.md).');
    this.api = api;
    this.apiUrl = stage.url;

    this.alarms = new PipelineAlarms(this, 'Alarms', {
      topic: opsTopic,
      names,
      plan: coreAlarmPlan({
        metrics: names,
        scheduler: this.scheduler,
        evaluator: this.evaluator,
        ingest: this.ingest,
        status: this.status,
        evaluatorDeadLetters: evaluatorDlq,
        expectsSteadyResults: expectsSteadyResults(config),
        quietMinutes: quietWindowMinutes(config),
        probedRegions: probeWindowMinutes(config) === undefined ? [] : regions,
        probeWindowMinutes: probeWindowMinutes(config),
      }),
    });
    this.dashboard = new PagerlessDashboard(this, 'Dashboard', {
      functions: { scheduler: this.scheduler, evaluator: this.evaluator, ingest: this.ingest, status: this.status },
      evaluatorLogGroup: this.evaluator.functionLogs,
      evaluatorDeadLetters: evaluatorDlq,
      regions,
      names,
    });
  }
}

/** The home region's keys a role may use through SSM and Secrets Manager for its references (permissions.ts). */
function acknowledgeSecretKeys(fn: PagerlessFunction, home: string): void {
  acknowledgeNag(fn.role!, keyWildcardFinding(home), 'A customer managed key of a SecureString parameter or a secret the config names cannot be known at synth: kms:Decrypt on the home region\'s keys is allowed only via SSM / Secrets Manager (kms:ViaService) and only with the encryption context of exactly those parameters and secrets.');
}

/** The keys of the SNS channels' topics (permissions.ts effectStatements). */
function acknowledgeTargetKeys(policy: ManagedPolicy, findings: readonly string[]): void {
  for (const finding of findings) {
    acknowledgeNag(policy, finding, 'An sns channel\'s topic may be encrypted with a customer managed key the config cannot name: kms:GenerateDataKey*/kms:Decrypt on that account\'s keys in the topic\'s region is allowed only via SNS (kms:ViaService) and only with the encryption context of exactly the channels\' topics.');
  }
}
