/** The home region's stack: tables, schedule, stream, topics, API, functions, IAM, alarms, dashboard. */
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ENV, RESOURCE_NAMES, STATE_TABLE } from '../../shared/adapters/aws/tables.ts';
import { CLAIM_TIMEOUT_MS } from '../../shared/adapters/aws/dynamo-store.ts';
import { Pagerless } from '../../infra/pagerless.ts';
import { actionsOf, allActions, build, flat, HOME, MULTI_REGION, REGIONS, resourcesOf, statementsOf, writeConfig, type Built } from './support.ts';

const ROLES = {
  scheduler: 'PagerlessCoreSchedulerRole',
  evaluator: 'PagerlessCoreEvaluatorRole',
  ingest: 'PagerlessCoreIngestRole',
  status: 'PagerlessCoreStatusRole',
};

let b: Built;
beforeAll(() => {
  b = build(MULTI_REGION, { environment: { PL_TEST_INGEST_TOKEN: 'tok-123' } });
}, 180_000); // synth bundles every function with esbuild: slow on a busy machine

function logicalIdOf(type: string, prefix: string): string {
  const ids = Object.keys(b.core.findResources(type)).filter((id) => id.startsWith(prefix));
  expect(ids, `${type} ${prefix}`).toHaveLength(1);
  return ids[0]!;
}

describe('outbox claims', () => {
  it('a claim outlives every function that sends (so only an ended invocation\'s claim is taken over)', () => {
    const timeouts = Object.values(b.core.findResources('AWS::Lambda::Function')).map((f) => Number((f as { Properties: { Timeout: number } }).Properties.Timeout));
    expect(timeouts.length).toBeGreaterThan(0);
    expect(Math.max(...timeouts) * 1000).toBeLessThan(CLAIM_TIMEOUT_MS);
  });
});

describe('tables', () => {
  it('Results: fixed name, pk/sk, NEW_IMAGE stream, TTL, encrypted, no PITR', () => {
    b.core.hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: RESOURCE_NAMES.resultsTable,
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
      StreamSpecification: { StreamViewType: 'NEW_IMAGE' },
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
      SSESpecification: { SSEEnabled: true },
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: Match.absent(),
    });
  });

  it('state: fixed name, PITR, TTL, encrypted, the sparse due index (duePk S, dueAt N)', () => {
    b.core.hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: RESOURCE_NAMES.stateTable,
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
      SSESpecification: { SSEEnabled: true },
      StreamSpecification: Match.absent(),
      AttributeDefinitions: Match.arrayWith([
        { AttributeName: STATE_TABLE.dueIndex.partitionKey, AttributeType: 'S' },
        { AttributeName: STATE_TABLE.dueIndex.sortKey, AttributeType: 'N' },
      ]),
      GlobalSecondaryIndexes: [{
        IndexName: STATE_TABLE.dueIndex.name,
        KeySchema: [{ AttributeName: 'duePk', KeyType: 'HASH' }, { AttributeName: 'dueAt', KeyType: 'RANGE' }],
        Projection: { ProjectionType: 'ALL' },
      }],
    });
  });

  it('both are retained when the stack is deleted, except after a failed first create (by default; removal.test.ts)', () => {
    for (const name of [RESOURCE_NAMES.resultsTable, RESOURCE_NAMES.stateTable]) {
      b.core.hasResource('AWS::DynamoDB::Table', { Properties: Match.objectLike({ TableName: name }), DeletionPolicy: 'RetainExceptOnCreate', UpdateReplacePolicy: 'Retain' });
    }
  });
});

describe('scheduler', () => {
  it('runs every minute from an EventBridge rule', () => {
    const fn = logicalIdOf('AWS::Lambda::Function', 'PagerlessCoreScheduler');
    b.core.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      State: 'ENABLED',
      // Never retried: a retried minute would probe twice.
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [fn, 'Arn'] }, RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 } })],
    });
    b.core.hasResourceProperties('AWS::Lambda::Permission', { Principal: 'events.amazonaws.com', FunctionName: { 'Fn::GetAtt': [fn, 'Arn'] } });
  });

  it('gets the queue URL of every prober region as JSON', () => {
    const fn = b.core.findResources('AWS::Lambda::Function')[logicalIdOf('AWS::Lambda::Function', 'PagerlessCoreScheduler')]!;
    const json = flat(fn.Properties.Environment.Variables[ENV.queueUrls]);
    const urls = JSON.parse(json) as Record<string, string>;
    expect(Object.keys(urls)).toEqual(REGIONS);
    for (const r of REGIONS) expect(urls[r]).toBe(`https://sqs.${r}.\${AWS::URLSuffix}/\${AWS::AccountId}/${RESOURCE_NAMES.probeQueue}`);
  });

  it('may send only to the probe queues, by ARN', () => {
    const send = statementsOf(b.core, ROLES.scheduler).filter((s) => actionsOf(s).includes('sqs:SendMessage'));
    expect(send).toHaveLength(1);
    expect(actionsOf(send[0]!)).toEqual(['sqs:SendMessage']);
    expect(resourcesOf(send[0]!).map(flat)).toEqual(REGIONS.map((r) => `arn:\${AWS::Partition}:sqs:${r}:\${AWS::AccountId}:${RESOURCE_NAMES.probeQueue}`));
  });
});

describe('replay of failed stream batches', () => {
  it('the scheduler reads the evaluator\'s dead-letter queue (named in its environment) and queries Results, nothing more', () => {
    const dlq = logicalIdOf('AWS::SQS::Queue', 'PagerlessCoreEvaluatorDeadLetters');
    const scheduler = Object.values(b.core.findResources('AWS::Lambda::Function')).find((f) => (f as { Properties: { Environment?: { Variables?: Record<string, unknown> } } }).Properties.Environment?.Variables?.[ENV.queueUrls]) as { Properties: { Environment: { Variables: Record<string, unknown> } } };
    expect(scheduler.Properties.Environment.Variables[ENV.evaluatorDlqUrl]).toEqual({ Ref: dlq });
    const consume = statementsOf(b.core, ROLES.scheduler).filter((s) => actionsOf(s).includes('sqs:ReceiveMessage'));
    expect(consume).toHaveLength(1);
    expect(actionsOf(consume[0]!)).toEqual(expect.arrayContaining(['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility']));
    expect(actionsOf(consume[0]!)).not.toContain('sqs:SendMessage');
    expect(resourcesOf(consume[0]!).map(flat)).toEqual([`\${${dlq}.Arn}`]);
  });
});

describe('evaluator', () => {
  it('reads the Results stream: inserts only, bisect on error, bounded retries, partial failures, an SQS on-failure destination', () => {
    const dlq = logicalIdOf('AWS::SQS::Queue', 'PagerlessCoreEvaluatorDeadLetters');
    b.core.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: logicalIdOf('AWS::Lambda::Function', 'PagerlessCoreEvaluator') },
      EventSourceArn: { 'Fn::GetAtt': [logicalIdOf('AWS::DynamoDB::Table', 'PagerlessCoreStorageResults'), 'StreamArn'] },
      StartingPosition: 'TRIM_HORIZON',
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 3,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [dlq, 'Arn'] } } },
      FilterCriteria: { Filters: [{ Pattern: JSON.stringify({ eventName: ['INSERT'] }) }] },
    });
  });

  it('the dead-letter queue is encrypted and refuses plain HTTP', () => {
    const dlq = logicalIdOf('AWS::SQS::Queue', 'PagerlessCoreEvaluatorDeadLetters');
    b.core.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 86_400 });
    b.core.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: dlq }],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });
});

describe('topics', () => {
  it('alerts and ops are KMS-encrypted with a rotating key CloudWatch may use', () => {
    const key = logicalIdOf('AWS::KMS::Key', 'PagerlessCoreStorageTopicKey');
    for (const name of [RESOURCE_NAMES.alertTopic, RESOURCE_NAMES.opsTopic]) {
      b.core.hasResourceProperties('AWS::SNS::Topic', { TopicName: name, KmsMasterKeyId: { 'Fn::GetAtt': [key, 'Arn'] } });
    }
    b.core.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      })]) },
    });
  });

  it('refuse publishers without TLS', () => {
    expect(Object.keys(b.core.findResources('AWS::SNS::TopicPolicy', {
      Properties: { PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) } },
    }))).toHaveLength(2);
  });
});

describe('HTTP API', () => {
  const expected: Record<string, 'Ingest' | 'Status'> = {
    'GET /': 'Status',
    'GET /status': 'Status',
    'GET /status/{service}': 'Status',
    'GET /health': 'Status',
    'GET /api/checks': 'Status',
    'GET /api/incidents': 'Status',
    'GET /api/incidents/{id}': 'Status',
    'GET /ping/{token}': 'Ingest',
    'POST /ping/{token}': 'Ingest',
    'GET /ping/{token}/fail': 'Ingest',
    'POST /ping/{token}/fail': 'Ingest',
    'POST /hooks/{source}': 'Ingest',
  };

  it('has exactly the routes of the local server, the dashboard included, each on the right function', () => {
    const integrations = b.core.findResources('AWS::ApiGatewayV2::Integration');
    const routes = Object.values(b.core.findResources('AWS::ApiGatewayV2::Route')).map((r) => {
      const target = flat(r.Properties.Target); // integrations/${<IntegrationId>}
      const integration = integrations[target.replace(/^integrations\/\$\{(.*)\}$/, '$1')]!;
      const fn = flat(integration.Properties.IntegrationUri); // ${<FunctionId>.Arn}
      return [r.Properties.RouteKey as string, fn.startsWith('${PagerlessCoreIngest') ? 'Ingest' : fn.startsWith('${PagerlessCoreStatus') ? 'Status' : fn] as const;
    });
    expect(Object.fromEntries(routes)).toEqual(expected);
    expect(routes).toHaveLength(Object.keys(expected).length);
  });

  it('logs access and throttles its default stage', () => {
    b.core.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      AccessLogSettings: { DestinationArn: { 'Fn::GetAtt': [logicalIdOf('AWS::Logs::LogGroup', 'PagerlessCoreApiAccessLogs'), 'Arn'] } },
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
    });
  });
});

describe('functions', () => {
  it('four in the home region, Node.js 22 on arm64, 256 MB, each with a log group that expires', () => {
    const fns = b.core.findResources('AWS::Lambda::Function');
    expect(Object.keys(fns)).toHaveLength(4);
    for (const f of Object.values(fns)) {
      expect(f.Properties).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'], MemorySize: 256, Handler: 'index.handler' });
      const logGroup = b.core.findResources('AWS::Logs::LogGroup')[(f.Properties.LoggingConfig.LogGroup as { Ref: string }).Ref]!;
      expect(logGroup.Properties.RetentionInDays).toBe(30);
    }
  });

  it('read the bundled config, the tables and the metrics namespace from their environment', () => {
    for (const name of ['Scheduler', 'Evaluator', 'Ingest', 'Status']) {
      b.core.hasResourceProperties('AWS::Lambda::Function', {
        FunctionName: Match.absent(),
        Description: Match.anyValue(),
        Environment: { Variables: Match.objectLike({
          [ENV.configFile]: 'monitors.json',
          [ENV.resultsTable]: { Ref: logicalIdOf('AWS::DynamoDB::Table', 'PagerlessCoreStorageResults') },
          [ENV.stateTable]: { Ref: logicalIdOf('AWS::DynamoDB::Table', 'PagerlessCoreStorageState') },
          [ENV.homeRegion]: HOME,
          POWERTOOLS_SERVICE_NAME: 'pagerless',
          POWERTOOLS_METRICS_NAMESPACE: RESOURCE_NAMES.metricsNamespace,
        }) },
        Role: { 'Fn::GetAtt': [logicalIdOf('AWS::IAM::Role', `PagerlessCore${name}Role`), 'Arn'] },
      });
    }
  });

  it('effect executors know the alert topic; the API functions do not', () => {
    const fns = b.core.findResources('AWS::Lambda::Function');
    const topic = { Ref: logicalIdOf('AWS::SNS::Topic', 'PagerlessCoreStorageAlerts') };
    for (const [id, f] of Object.entries(fns)) {
      const executor = id.startsWith('PagerlessCoreScheduler') || id.startsWith('PagerlessCoreEvaluator');
      expect(f.Properties.Environment.Variables[ENV.alertTopicArn], id).toEqual(executor ? topic : undefined);
    }
  });

  it('the scheduler has a short timeout and no async retries; the evaluator a minute', () => {
    b.core.hasResourceProperties('AWS::Lambda::Function', { Description: Match.stringLikeRegexp('probe batches'), Timeout: 50 });
    b.core.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { FunctionName: { Ref: logicalIdOf('AWS::Lambda::Function', 'PagerlessCoreScheduler') }, MaximumRetryAttempts: 0 });
    b.core.hasResourceProperties('AWS::Lambda::Function', { Description: Match.stringLikeRegexp('incident engine'), Timeout: 60 });
  });

  it('${env:} values reach the functions inside the compiled config, not through the template', () => {
    expect(JSON.stringify(b.core.toJSON())).not.toContain('tok-123');
    expect(JSON.parse(b.pagerless.config.compiledJson).settings.ingestToken).toBe('tok-123');
  });
});

describe('IAM per function', () => {
  const stateActions = ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:Query'];
  const writeActions = ['dynamodb:DeleteItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'];

  function tableStatements(role: string) {
    return statementsOf(b.core, role)
      .filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:') && a !== 'dynamodb:ListStreams' && !a.includes('Stream') && a !== 'dynamodb:GetRecords' && a !== 'dynamodb:GetShardIterator'))
      .map((s) => ({ actions: actionsOf(s).sort(), resources: resourcesOf(s).map(flat) }));
  }
  const state = () => `\${${logicalIdOf('AWS::DynamoDB::Table', 'PagerlessCoreStorageState')}.Arn}`;
  const results = () => `\${${logicalIdOf('AWS::DynamoDB::Table', 'PagerlessCoreStorageResults')}.Arn}`;

  it('table access names the state table and its due index, never index/*', () => {
    for (const role of Object.values(ROLES)) {
      for (const s of tableStatements(role)) {
        for (const r of s.resources) expect(r).not.toContain('*');
      }
    }
  });

  it('scheduler: state read/write, Results put, Results query (replays failed stream batches)', () => {
    const byActions = <T extends { actions: string[] }>(list: T[]) => [...list].sort((a, b) => a.actions.join().localeCompare(b.actions.join()));
    expect(byActions(tableStatements(ROLES.scheduler))).toEqual(byActions([
      { actions: [...stateActions, ...writeActions].sort(), resources: [state(), `${state()}/index/due`] },
      { actions: ['dynamodb:PutItem'], resources: [results()] },
      { actions: ['dynamodb:Query'], resources: [results()] },
    ]));
  });

  it('evaluator: state read/write and the Results stream, not the Results table', () => {
    expect(tableStatements(ROLES.evaluator)).toEqual([
      { actions: [...stateActions, ...writeActions].sort(), resources: [state(), `${state()}/index/due`] },
    ]);
    const stream = statementsOf(b.core, ROLES.evaluator).find((s) => actionsOf(s).includes('dynamodb:GetRecords'))!;
    expect(resourcesOf(stream).map(flat)).toEqual([`\${${logicalIdOf('AWS::DynamoDB::Table', 'PagerlessCoreStorageResults')}.StreamArn}`]);
  });

  it('ingest: state read/write, Results put', () => {
    expect(tableStatements(ROLES.ingest)).toEqual([
      { actions: [...stateActions, ...writeActions].sort(), resources: [state(), `${state()}/index/due`] },
      { actions: ['dynamodb:PutItem'], resources: [results()] },
    ]);
  });

  it('status: read only', () => {
    expect(tableStatements(ROLES.status)).toEqual([
      { actions: stateActions, resources: [state(), `${state()}/index/due`] },
      { actions: stateActions, resources: [results()] },
    ]);
    expect(allActions(b.core, ROLES.status).filter((a) => !a.startsWith('logs:') && /Put|Update|Delete|Write|Publish|Send/.test(a))).toEqual([]);
  });

  it('publishing alerts (and the topic key) only for the effect executors', () => {
    for (const [name, role] of Object.entries(ROLES)) {
      const publish = statementsOf(b.core, role).filter((s) => actionsOf(s).includes('sns:Publish'));
      if (name === 'scheduler' || name === 'evaluator') {
        expect(publish.map((s) => resourcesOf(s).map(flat))).toEqual([[`\${${logicalIdOf('AWS::SNS::Topic', 'PagerlessCoreStorageAlerts')}}`]]);
      } else {
        expect(publish).toEqual([]);
      }
    }
  });

  it('every function reads exactly the parameter and the secret it resolves, in the home region (the channel\'s only where it sends)', () => {
    for (const [fn, role] of Object.entries(ROLES)) {
      const ssm = statementsOf(b.core, role).filter((s) => actionsOf(s).some((a) => a.startsWith('ssm:')));
      const secrets = statementsOf(b.core, role).filter((s) => actionsOf(s).some((a) => a.startsWith('secretsmanager:')));
      const sends = fn === 'scheduler' || fn === 'evaluator';
      expect(ssm.map((s) => [actionsOf(s), resourcesOf(s).map(flat)])).toEqual(sends ? [[['ssm:GetParameter'], [`arn:\${AWS::Partition}:ssm:${HOME}:\${AWS::AccountId}:parameter/pagerless/slack-url`]]] : []);
      expect(secrets.map((s) => [actionsOf(s), resourcesOf(s).map(flat)])).toEqual([[['secretsmanager:GetSecretValue'], [`arn:\${AWS::Partition}:secretsmanager:${HOME}:\${AWS::AccountId}:secret:pagerless/status-token-??????`]]]);
    }
  });

  it('a config without secret references grants no secret access', () => {
    const plain = build(MULTI_REGION.replace('${secret:pagerless/status-token}', 'fixed').replace('"${ssm:/pagerless/slack-url}"', 'https://hooks.slack.com/x'));
    for (const role of Object.values(ROLES)) {
      expect(allActions(plain.core, role).filter((a) => a.startsWith('ssm:') || a.startsWith('secretsmanager:'))).toEqual([]);
    }
  });

  it('logs go to the function\'s own log group (no AWS managed policy)', () => {
    for (const role of Object.values(ROLES)) {
      const logs = statementsOf(b.core, role).filter((s) => actionsOf(s).some((a) => a.startsWith('logs:')));
      expect(logs).toHaveLength(1);
      expect(flat(logs[0]!.Resource)).toMatch(/^\$\{PagerlessCore\w+Logs\w+\.Arn\}$/);
    }
    for (const r of Object.values(b.core.findResources('AWS::IAM::Role'))) expect(r.Properties.ManagedPolicyArns).toBeUndefined();
  });
});

describe('alarms', () => {
  const opsTopic = () => ({ Ref: logicalIdOf('AWS::SNS::Topic', 'PagerlessCoreStorageOps') });

  it('the evaluator DLQ alarms when a batch stays 5 minutes (the scheduler replays them every minute), to the ops topic', () => {
    b.core.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'pagerless-critical-evaluator-dlq',
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateAgeOfOldestMessage',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalIdOf('AWS::SQS::Queue', 'PagerlessCoreEvaluatorDeadLetters'), 'QueueName'] } }],
      Threshold: 300,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      AlarmActions: [opsTopic()],
    });
  });

  it('"no results for 5 minutes" watches ResultsEvaluated and treats missing data as breaching', () => {
    b.core.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'pagerless-critical-no-results',
      Namespace: RESOURCE_NAMES.metricsNamespace,
      MetricName: 'ResultsEvaluated',
      Dimensions: [{ Name: 'service', Value: 'pagerless' }],
      Statistic: 'Sum',
      Period: 300,
      EvaluationPeriods: 1,
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
      AlarmActions: [opsTopic()],
    });
  });

  it('widens the quiet window to twice the shortest interval when checks run less often than every 2.5 minutes', async () => {
    const { quietWindowMinutes } = await import('../../infra/config.ts');
    const { parseConfig } = await import('../../shared/config/load.ts');
    const cfg = (interval: string) => parseConfig(`version: 1\nservices:\n  - name: a\n    checks:\n      - name: b\n        http: { url: "https://example.com/" }\n        interval: ${interval}\n`, 'm.yaml', {}, { target: 'aws' });
    expect(quietWindowMinutes(cfg('60s'))).toBe(5);
    expect(quietWindowMinutes(cfg('10m'))).toBe(20);
  });

  it('iterator age and function errors, keyed by severity, all to the ops topic', () => {
    b.core.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'pagerless-critical-evaluator-iterator-age', MetricName: 'IteratorAge', Statistic: 'Maximum' });
    const names = Object.values(b.core.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties.AlarmName as string).sort();
    expect(names).toEqual([
      'pagerless-critical-evaluator-dlq',
      'pagerless-critical-evaluator-iterator-age',
      'pagerless-critical-no-results',
      'pagerless-critical-probe-queue-failures',
      'pagerless-critical-scheduler-errors',
      'pagerless-warning-evaluator-errors',
      'pagerless-warning-ingest-errors',
      ...REGIONS.map((r) => `pagerless-warning-region-silent-${r}`).sort(),
      'pagerless-warning-status-errors',
    ]);
    for (const a of Object.values(b.core.findResources('AWS::CloudWatch::Alarm'))) {
      expect(a.Properties.AlarmActions).toEqual([opsTopic()]);
      expect(a.Properties.AlarmDescription).toMatch(/^\[(critical|warning)\] /);
    }
  });

  it('are about the pipeline, not the endpoints: 40 more checks add no alarm and no metric', () => {
    const many = MULTI_REGION.replace('      - name: db\n', Array.from({ length: 40 }, (_, i) => `      - name: extra-${i}\n        http: { url: https://e${i}.example.com/ }\n`).join('') + '      - name: db\n');
    const big = build(many);
    expect(big.pagerless.config.config.checks.length).toBe(b.pagerless.config.config.checks.length + 40);
    // The same resources, one for one: nothing is created per check.
    expect(Object.keys(big.core.toJSON().Resources).sort()).toEqual(Object.keys(b.core.toJSON().Resources).sort());
    const body = (t: typeof b.core) => JSON.stringify(Object.values(t.findResources('AWS::CloudWatch::Dashboard'))[0]!.Properties.DashboardBody);
    expect(body(big.core)).toBe(body(b.core));
  });

  it('a config of pushed checks only has no "no results" alarm (results come only when pushed)', () => {
    const pushed = build(`version: 1
settings: { home: eu-west-1, regions: [eu-west-1] }
services:
  - name: ext
    checks:
      - name: dd
        webhook: { source: generic }
`);
    expect(Object.values(pushed.core.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties.AlarmName)).not.toContain('pagerless-critical-no-results');
  });
});

describe('dashboard', () => {
  it('one dashboard: pipeline health, availability and latency by region, by service and region from the logs', () => {
    const dashboards = Object.values(b.core.findResources('AWS::CloudWatch::Dashboard'));
    expect(dashboards).toHaveLength(1);
    const body = flat(dashboards[0]!.Properties.DashboardBody);
    const parsed = JSON.parse(body) as { widgets: { type: string; properties: { title?: string; metrics?: unknown[][]; query?: string } }[] };
    const titles = parsed.widgets.map((w) => w.properties.title).filter(Boolean);
    expect(titles).toEqual(expect.arrayContaining(['Function errors', 'Evaluator iterator age', 'Dead-letter queues (should be 0)', 'Availability by prober region', 'Latency by prober region']));
    const availability = parsed.widgets.find((w) => w.properties.title === 'Availability by prober region')!;
    expect(availability.properties.metrics!.map((m) => m.slice(0, 6))).toEqual(REGIONS.map((r) => ['Pagerless', 'Availability', 'region', r, 'service', 'pagerless']));
    const logs = parsed.widgets.find((w) => w.type === 'log')!;
    expect(logs.properties.query).toContain('filter m = "service health"');
    expect(logs.properties.query).toContain('by service, region');
    expect(logs.properties.query).toContain(`\${${logicalIdOf('AWS::Logs::LogGroup', 'PagerlessCoreEvaluatorLogs')}}`);
  });
});

describe('the construct\'s API', () => {
  it('grantReadState gives read-only access to the state table and its index', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'Own', { env: { region: HOME } });
    const p = new Pagerless(stack, 'P', { configFile: writeConfig(MULTI_REGION), environment: {} });
    const role = new Role(stack, 'Reporter', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    p.grantReadState(role);
    p.grantPublishAlerts(role);
    const t = Template.fromStack(stack);
    const actions = allActions(t, 'Reporter');
    expect(actions.filter((a) => a.startsWith('dynamodb:'))).toEqual(['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:Query']);
    const read = statementsOf(t, 'Reporter').find((s) => actionsOf(s).includes('dynamodb:GetItem'))!;
    expect(resourcesOf(read).map(flat).every((r) => !r.includes('*') && r.includes('PCoreStorageState'))).toBe(true);
    expect(actions).toEqual(expect.arrayContaining(['sns:Publish', 'kms:Decrypt']));
  });

  it('metric methods name the EMF metrics the functions emit: per region, never per endpoint', () => {
    const m = b.pagerless.metricAvailability('us-east-1');
    expect({ ns: m.namespace, name: m.metricName, dims: m.dimensions, stat: m.statistic }).toEqual({
      ns: RESOURCE_NAMES.metricsNamespace, name: 'Availability', dims: { service: 'pagerless', region: 'us-east-1' }, stat: 'Average',
    });
    expect(b.pagerless.metricLatency('eu-west-1').dimensions).toEqual({ service: 'pagerless', region: 'eu-west-1' });
    expect(b.pagerless.metricResultsEvaluated({ period: Duration.minutes(5) }).period.toMinutes()).toBe(5);
    expect(b.pagerless.metricIncidentsOpened().metricName).toBe('IncidentsOpened');
  });
});

describe('placement', () => {
  it('refuses a stack outside the config\'s home region', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'Elsewhere', { env: { region: 'us-west-2' } });
    expect(() => new Pagerless(stack, 'P', { configFile: writeConfig(MULTI_REGION), environment: {} })).toThrow(/home region eu-west-1 .*us-west-2/);
  });

  it('a bad config throws the ConfigError validate reports', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'Bad', { env: { region: HOME } });
    expect(() => new Pagerless(stack, 'P', { configFile: writeConfig('version: 2\nservices: []\n'), environment: {} })).toThrow(expect.objectContaining({ name: 'ConfigError' }));
  });
});
