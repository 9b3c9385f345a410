/** Issue 7 §4: the pipeline alarms added per region, the per-function secret reads, exact table actions, key policies, policy sizes, and the options. */
import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { RESOURCE_NAMES } from '../../shared/adapters/aws/tables.ts';
import { synthConfigFromText } from '../../infra/config.ts';
import { OPEN_ROUTE_KEYS, PagerlessCore } from '../../infra/core-stack.ts';
import { PagerlessProberStack } from '../../infra/prober-stack.ts';
import { actionsOf, build, flat, resourcesOf, statementsOf, type Built, type Statement } from './support.ts';

const REGIONS = ['eu-west-1', 'us-east-1', 'ap-southeast-2'];
const TOPIC = 'arn:aws:sns:us-east-1:210987654321:oncall';
const CONFIG = `version: 1
settings:
  statusToken: \${secret:pl/status-token}
  home: eu-west-1
  regions: [${REGIONS.join(', ')}]
channels:
  team: { type: slack, url: "\${secret:pl/slack-url}" }
  page: { type: sns, topicArn: ${TOPIC} }
services:
  - name: shop
    alert: [team, page]
    checks:
      - name: home
        http: { url: https://shop.example.com/, headers: { authorization: "Bearer \${ssm:/pl/probe-token}" } }
`;

const ROLE = { scheduler: 'PagerlessCoreSchedulerRole', evaluator: 'PagerlessCoreEvaluatorRole', ingest: 'PagerlessCoreIngestRole', status: 'PagerlessCoreStatusRole' };

let b: Built;
beforeAll(() => {
  b = build(CONFIG);
}, 180_000);

/** The alarm named `name`, as CloudFormation properties. */
function alarm(t: Template, name: string): Record<string, any> {
  const found = Object.values(t.findResources('AWS::CloudWatch::Alarm', { Properties: { AlarmName: name } }));
  expect(found, name).toHaveLength(1);
  return found[0]!.Properties;
}

const opsTopicRef = (t: Template) => ({ Ref: Object.keys(t.findResources('AWS::SNS::Topic', { Properties: { TopicName: RESOURCE_NAMES.opsTopic } }))[0] });

describe('core alarms', () => {
  it('probe-queue-failures: the scheduler\'s ProbeQueueFailures of this deployment, 2 of 3 minutes, no data is healthy, to the ops topic', () => {
    const a = alarm(b.core, 'pagerless-critical-probe-queue-failures');
    expect(a).toMatchObject({
      Namespace: 'Pagerless', MetricName: 'ProbeQueueFailures', Statistic: 'Sum', Period: 60,
      Dimensions: [{ Name: 'service', Value: 'pagerless' }],
      Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', EvaluationPeriods: 3, DatapointsToAlarm: 2,
      TreatMissingData: 'notBreaching',
    });
    expect(a.AlarmActions).toEqual([opsTopicRef(b.core)]);
  });

  it.each(REGIONS)('region-silent-%s: breaches only when that region sent nothing and another did; missing data never breaches', (region) => {
    const a = alarm(b.core, `pagerless-warning-region-silent-${region}`);
    expect(a).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', EvaluationPeriods: 1, TreatMissingData: 'notBreaching' });
    expect(a.AlarmActions).toEqual([opsTopicRef(b.core)]);
    const metrics = a.Metrics as { Id: string; Expression?: string; MetricStat?: any; ReturnData?: boolean }[];
    const expr = metrics.find((m) => m.Expression)!;
    expect(expr.Expression).toBe('IF((FILL(other0, 0) + FILL(other1, 0)) > 0 AND FILL(mine, 0) == 0, 1, 0)');
    const regionOf = (id: string) => metrics.find((m) => m.Id === id)!.MetricStat.Metric.Dimensions.find((d: any) => d.Name === 'region').Value;
    expect(regionOf('mine')).toBe(region);
    expect([regionOf('other0'), regionOf('other1')].sort()).toEqual(REGIONS.filter((r) => r !== region).sort());
    for (const id of ['mine', 'other0', 'other1']) {
      expect(metrics.find((m) => m.Id === id)!.MetricStat).toMatchObject({
        Metric: { Namespace: 'Pagerless', MetricName: 'Availability', Dimensions: expect.arrayContaining([{ Name: 'service', Value: 'pagerless' }]) },
        Stat: 'SampleCount', Period: 300,
      });
    }
  });

  it('the expression is 0 on a fresh deploy and when every region stops (FILL makes missing 0), 1 only for the silent region', () => {
    // The expression, evaluated as CloudWatch would for one window: values are SampleCounts, undefined = no data.
    const silent = (mine: number | undefined, others: (number | undefined)[]) => ((others.reduce<number>((s, o) => s + (o ?? 0), 0) > 0 && (mine ?? 0) === 0) ? 1 : 0);
    expect(silent(undefined, [undefined, undefined])).toBe(0); // fresh deploy
    expect(silent(0, [0, 0])).toBe(0); // all stopped: the no-results alarm's case
    expect(silent(undefined, [12, 9])).toBe(1);
    expect(silent(5, [12, 9])).toBe(0);
  });

  it('no region-silent alarm with one region, or when nothing is probed', () => {
    const one = build(CONFIG.replace(`regions: [${REGIONS.join(', ')}]`, 'regions: [eu-west-1]'));
    expect(Object.keys(one.core.findResources('AWS::CloudWatch::Alarm', { Properties: { AlarmName: Match.stringLikeRegexp('region-silent') } }))).toEqual([]);
    const pushed = build('version: 1\nsettings: { home: eu-west-1, regions: [eu-west-1, us-east-1] }\nservices:\n  - name: x\n    checks:\n      - name: h\n        heartbeat: { token: nightly-job-token, every: 1h }\n');
    expect(Object.keys(pushed.core.findResources('AWS::CloudWatch::Alarm', { Properties: { AlarmName: Match.stringLikeRegexp('region-silent') } }))).toEqual([]);
  }, 180_000);
});

describe('prober alarms, in each region to that region\'s ops topic', () => {
  it.each(REGIONS)('%s: prober-throttles (AWS/Lambda Throttles) and probe-age (AWS/SQS ApproximateAgeOfOldestMessage > 180 s)', (region) => {
    const t = b.probers.get(region)!;
    const fn = Object.keys(t.findResources('AWS::Lambda::Function', { Properties: { FunctionName: RESOURCE_NAMES.proberFunction } }))[0]!;
    const queue = Object.keys(t.findResources('AWS::SQS::Queue', { Properties: { QueueName: RESOURCE_NAMES.probeQueue } }))[0]!;
    const actions = region === 'eu-west-1'
      ? [{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':sns:eu-west-1:', { Ref: 'AWS::AccountId' }, `:${RESOURCE_NAMES.opsTopic}`]] }]
      : [opsTopicRef(t)];
    const throttles = alarm(t, `pagerless-warning-prober-throttles-${region}`);
    expect(throttles).toMatchObject({
      Namespace: 'AWS/Lambda', MetricName: 'Throttles', Statistic: 'Sum', Period: 60, Dimensions: [{ Name: 'FunctionName', Value: { Ref: fn } }],
      Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', EvaluationPeriods: 5, DatapointsToAlarm: 3, TreatMissingData: 'notBreaching',
    });
    expect(throttles.AlarmActions).toEqual(actions);
    const age = alarm(t, `pagerless-critical-probe-age-${region}`);
    expect(age).toMatchObject({
      Namespace: 'AWS/SQS', MetricName: 'ApproximateAgeOfOldestMessage', Statistic: 'Maximum', Period: 60,
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queue, 'QueueName'] } }],
      Threshold: 180, ComparisonOperator: 'GreaterThanThreshold', EvaluationPeriods: 3, DatapointsToAlarm: 2, TreatMissingData: 'notBreaching',
    });
    expect(age.AlarmActions).toEqual(actions);
  });

  it('warns at synth when a prober region\'s own ops topic has no subscriber; not with opsEmail', () => {
    const warnings = (x: Built, region: string) => Annotations.fromStack(x.pagerless.probers.get(region)!).findWarning('*', Match.stringLikeRegexp('has no subscriber'));
    expect(warnings(b, 'us-east-1')).toHaveLength(1);
    expect(warnings(b, 'eu-west-1')).toHaveLength(0); // the home region uses the core's topic
    const subscribed = build(CONFIG, { opsEmail: 'ops@example.com' });
    expect(warnings(subscribed, 'us-east-1')).toHaveLength(0);
    subscribed.probers.get('us-east-1')!.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com' });
  }, 180_000);
});

const secretReads = (s: Statement[]) => s.filter((x) => actionsOf(x).some((a) => a === 'secretsmanager:GetSecretValue' || a === 'ssm:GetParameter')).flatMap(resourcesOf).map(flat).sort();

describe('secrets: each function reads only what it resolves', () => {
  const checkParam = 'parameter/pl/probe-token';
  it('the prober reads its check\'s parameter only: no channel secret, no token', () => {
    for (const region of REGIONS) {
      const reads = secretReads(statementsOf(b.probers.get(region)!, 'ProberProberRole'));
      expect(reads).toHaveLength(1);
      expect(reads[0]).toContain(checkParam);
    }
  });

  it('a channel\'s secret is readable by the scheduler and the evaluator only; the tokens also by ingest and status', () => {
    for (const [fn, prefix] of Object.entries(ROLE)) {
      const reads = secretReads(statementsOf(b.core, prefix)).join(' ');
      expect(reads.includes('secret:pl/slack-url-??????'), fn).toBe(fn === 'scheduler' || fn === 'evaluator');
      expect(reads, fn).toContain('secret:pl/status-token-??????');
      expect(reads, fn).toContain(checkParam);
    }
  });

  it('kms:Decrypt for customer managed keys only via SSM / Secrets Manager and only for those names', () => {
    const s = statementsOf(b.probers.get('us-east-1')!, 'ProberProberRole').find((x) => x.Sid === 'DecryptConfigParameters') as Statement & { Condition: any };
    expect(actionsOf(s)).toEqual(['kms:Decrypt']);
    expect(flat(s.Resource)).toBe('arn:${AWS::Partition}:kms:eu-west-1:${AWS::AccountId}:key/*');
    expect(flat(s.Condition.StringEquals['kms:ViaService'])).toBe('ssm.eu-west-1.${AWS::URLSuffix}');
    expect(flat(s.Condition.StringEquals['kms:EncryptionContext:PARAMETER_ARN'])).toContain(checkParam);
    const ingest = statementsOf(b.core, ROLE.ingest).find((x) => x.Sid === 'DecryptConfigSecrets') as Statement & { Condition: any };
    expect(flat(ingest.Condition.StringEquals['kms:ViaService'])).toBe('secretsmanager.eu-west-1.${AWS::URLSuffix}');
    expect([ingest.Condition.StringLike['kms:EncryptionContext:SecretARN']].flat().map(flat).join(' ')).not.toContain('slack-url');
    expect(statementsOf(b.probers.get('us-east-1')!, 'ProberProberRole').find((x) => x.Sid === 'DecryptConfigSecrets')).toBeUndefined();
  });

  it('an sns channel\'s topic key: GenerateDataKey*/Decrypt via SNS in its region and account, for that topic only, senders only', () => {
    for (const prefix of [ROLE.scheduler, ROLE.evaluator]) {
      const s = statementsOf(b.core, prefix).find((x) => x.Sid === 'EncryptForChannelTopics0') as Statement & { Condition: any };
      expect(actionsOf(s)).toEqual(['kms:GenerateDataKey*', 'kms:Decrypt']);
      expect(flat(s.Resource)).toBe('arn:${AWS::Partition}:kms:us-east-1:210987654321:key/*');
      expect(s.Condition.StringEquals['kms:EncryptionContext:aws:sns:topicArn']).toEqual([TOPIC]);
      expect(flat(s.Condition.StringEquals['kms:ViaService'])).toBe('sns.us-east-1.${AWS::URLSuffix}');
    }
    for (const prefix of [ROLE.ingest, ROLE.status]) expect(statementsOf(b.core, prefix).some((x) => x.Sid?.startsWith('EncryptForChannelTopics'))).toBe(false);
  });
});

describe('tables: exactly the operations the store sends', () => {
  it('no role may Scan, BatchWriteItem, ConditionCheckItem or DescribeTable', () => {
    const all = [b.core, ...b.probers.values()].flatMap((t) => Object.values(t.findResources('AWS::IAM::Policy')).flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[])).flatMap(actionsOf);
    expect(all.filter((a) => a.startsWith('dynamodb:'))).not.toHaveLength(0);
    for (const a of ['dynamodb:Scan', 'dynamodb:BatchWriteItem', 'dynamodb:ConditionCheckItem', 'dynamodb:DescribeTable']) expect(all).not.toContain(a);
  });
});

describe('topic key', () => {
  it('CloudWatch may use it only for this account (aws:SourceAccount), here and in every prober region\'s key', () => {
    for (const t of [b.core, b.probers.get('us-east-1')!]) {
      t.hasResourceProperties('AWS::KMS::Key', {
        KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({
          Sid: 'CloudWatchAlarmsPublish',
          Principal: { Service: 'cloudwatch.amazonaws.com' },
          Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
        })]) },
      });
    }
  });
});

describe('policy size with many reaction targets', () => {
  it('200 instances and 50 hosted zones: every inline policy under 10,240 characters, every managed one under 6,144', () => {
    const instances = Array.from({ length: 200 }, (_, i) => `i-${i.toString(16).padStart(17, '0')}`);
    const reactions = [
      ...Array.from({ length: 4 }, (_, r) => `  reboot${r}: { type: ec2-reboot, region: eu-west-1, instanceIds: [${instances.slice(r * 50, r * 50 + 50).join(', ')}] }`),
      ...Array.from({ length: 50 }, (_, z) => `  fail${z}: { type: route53-failover, hostedZoneId: Z${String(z).padStart(20, '0')}, record: api${z}.example.com, to: backup.example.com }`),
    ];
    const big = CONFIG.replace('services:', `reactions:\n${reactions.join('\n')}\nservices:`).replace('alert: [team, page]', `alert: [team, page]\n    react: [${reactions.map((r) => r.trim().split(':')[0]).join(', ')}]`);
    const x = build(big);
    // As IAM counts: rendered, no whitespace (the longest partition and a 12-digit account).
    const size = (doc: unknown) => JSON.stringify(doc, (_k, v) => (v && typeof v === 'object' && ('Fn::Join' in v || 'Ref' in v) ? flat(v).replace('${AWS::Partition}', 'aws-us-gov').replace('${AWS::AccountId}', '123456789012').replace('${AWS::URLSuffix}', 'amazonaws.com') : v)).length;
    const inline = Object.values(x.core.findResources('AWS::IAM::Policy')).map((p) => size(p.Properties.PolicyDocument));
    expect(Object.keys(x.core.findResources('AWS::IAM::ManagedPolicy')).length).toBeGreaterThan(1); // the targets did not fit one
    const managed = Object.values(x.core.findResources('AWS::IAM::ManagedPolicy')).map((p) => size(p.Properties.PolicyDocument));
    expect(Math.max(...inline)).toBeLessThan(10_240);
    for (const m of managed) expect(m).toBeLessThan(6_144);
    // Every instance is still named (nothing widened to a wildcard).
    const text = JSON.stringify(x.core.toJSON());
    for (const id of instances) expect(text).toContain(`instance/${id}`);
    // A role may have at most 10 managed policies attached by default.
    for (const prefix of [ROLE.scheduler, ROLE.evaluator]) {
      const role = Object.entries(x.core.findResources('AWS::IAM::Role')).find(([id]) => id.startsWith(prefix))!;
      const attached = Object.values(x.core.findResources('AWS::IAM::ManagedPolicy')).filter((p) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === role[0]));
      expect(attached.length).toBeLessThanOrEqual(10);
    }
  }, 180_000);
});

describe('options', () => {
  const synth = synthConfigFromText(CONFIG, 'm.yaml', {});

  it('maxConcurrency caps the prober\'s SQS event source', () => {
    const app = () => new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new PagerlessProberStack(app(), 'P', { config: synth, region: 'us-east-1', maxConcurrency: 20, opsEmail: 'ops@example.com' });
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::EventSourceMapping', { ScalingConfig: { MaximumConcurrency: 20 } });
    const without = new PagerlessProberStack(app(), 'Q', { config: synth, region: 'us-east-1' });
    Template.fromStack(without).hasResourceProperties('AWS::Lambda::EventSourceMapping', { ScalingConfig: Match.absent() });
  });

  it('apiThrottle is the stage default (per route); openRouteThrottle sets each open route', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'C', { env: { region: 'eu-west-1' } });
    new PagerlessCore(stack, 'Core', { config: synth, openRouteThrottle: { rateLimit: 5, burstLimit: 10 } });
    const t = Template.fromStack(stack);
    expect(OPEN_ROUTE_KEYS).toEqual(['GET /health', 'GET /ping/{token}', 'POST /ping/{token}', 'GET /ping/{token}/fail', 'POST /ping/{token}/fail']);
    const per = { ThrottlingRateLimit: 5, ThrottlingBurstLimit: 10 };
    t.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
      RouteSettings: Object.fromEntries(OPEN_ROUTE_KEYS.map((k) => [k, per])),
    });
    expect(Object.keys(Template.fromStack(b.stack).findResources('AWS::ApiGatewayV2::Stage', { Properties: { RouteSettings: Match.anyValue() } }))).toEqual([]);
  });
});
