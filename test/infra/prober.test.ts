/** One prober stack per region: encrypted queue with a DLQ, the prober, write access to the Results table only. */
import { PROBER_SIZING } from '../../shared/engine/prober-sizing.ts';
import { beforeAll, describe, expect, it } from 'vitest';
import { Match } from 'aws-cdk-lib/assertions';
import { ENV, RESOURCE_NAMES } from '../../shared/adapters/aws/tables.ts';
import { actionsOf, build, flat, HOME, MULTI_REGION, REGIONS, resourcesOf, statementsOf, type Built } from './support.ts';

let b: Built;
beforeAll(() => {
  b = build(MULTI_REGION);
}, 180_000); // synth bundles every function with esbuild: slow on a busy machine

describe('prober stacks', () => {
  it('one per prober region, deployed to that region with no fixed account, after the home stack', () => {
    expect([...b.pagerless.probers.keys()]).toEqual(REGIONS);
    for (const [region, stack] of b.pagerless.probers) {
      expect(stack.region).toBe(region);
      expect(stack.stackName).toBe(`Pagerless-Prober-${region}`);
      expect(stack.environment).toBe(`aws://unknown-account/${region}`);
      expect(stack.dependencies).toContain(b.stack);
    }
  });

  it.each(REGIONS)('%s: an SSE-encrypted probe queue with a DLQ, visibility 6x the prober timeout', (region) => {
    const t = b.probers.get(region)!;
    const dlq = Object.entries(t.findResources('AWS::SQS::Queue', { Properties: { QueueName: RESOURCE_NAMES.probeDeadLetterQueue } }));
    expect(dlq).toHaveLength(1);
    t.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: RESOURCE_NAMES.probeQueue,
      SqsManagedSseEnabled: true,
      VisibilityTimeout: 360,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [dlq[0]![0], 'Arn'] }, maxReceiveCount: 2 },
    });
    t.hasResourceProperties('AWS::SQS::Queue', { QueueName: RESOURCE_NAMES.probeDeadLetterQueue, SqsManagedSseEnabled: true });
    expect(Object.keys(t.findResources('AWS::SQS::QueuePolicy', {
      Properties: { PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) } },
    }))).toHaveLength(2);
    const fn = t.findResources('AWS::Lambda::Function');
    expect(Object.values(fn)).toHaveLength(1);
    expect(Object.values(fn)[0]!.Properties.Timeout * 6).toBeLessThanOrEqual(360);
  });

  it.each(REGIONS)(`%s: the prober is Node.js 22 on arm64, ${PROBER_SIZING.memoryMb} MB (the size pagerless cost prices), 60 s, and knows its region`, (region) => {
    const t = b.probers.get(region)!;
    t.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'pagerless-prober',
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      MemorySize: PROBER_SIZING.memoryMb,
      Timeout: 60,
      Environment: { Variables: Match.objectLike({
        [ENV.region]: region,
        [ENV.resultsTable]: RESOURCE_NAMES.resultsTable,
        [ENV.configFile]: 'monitors.json',
        [ENV.homeRegion]: HOME,
        POWERTOOLS_SERVICE_NAME: 'pagerless',
        POWERTOOLS_METRICS_NAMESPACE: RESOURCE_NAMES.metricsNamespace,
      }) },
    });
    t.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  it.each(REGIONS)('%s: reads the queue with partial batch failures', (region) => {
    const t = b.probers.get(region)!;
    const queue = Object.keys(t.findResources('AWS::SQS::Queue', { Properties: { QueueName: RESOURCE_NAMES.probeQueue } }))[0]!;
    t.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [queue, 'Arn'] },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BatchSize: PROBER_SIZING.messagesPerInvocation,
    });
  });

  it.each(REGIONS)('%s: may write the home region\'s Results table and nothing else in DynamoDB', (region) => {
    const t = b.probers.get(region)!;
    const statements = statementsOf(t, 'ProberProberRole');
    const dynamo = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')));
    expect(dynamo.map((s) => [actionsOf(s), resourcesOf(s).map(flat)])).toEqual([
      [['dynamodb:PutItem'], [`arn:\${AWS::Partition}:dynamodb:${HOME}:\${AWS::AccountId}:table/${RESOURCE_NAMES.resultsTable}`]],
    ]);
    const actions = statements.flatMap(actionsOf);
    expect(actions.filter((a) => /^(ec2|route53|sns|sqs:SendMessage)/.test(a))).toEqual([]);
    for (const s of statements) expect(resourcesOf(s)).not.toContain('*');
  });

  it.each(REGIONS)('%s: reads neither the channel\'s parameter nor the status token (its checks reference none)', (region) => {
    const statements = statementsOf(b.probers.get(region)!, 'ProberProberRole');
    const read = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('ssm:') || a.startsWith('secretsmanager:') || a.startsWith('kms:')));
    expect(read).toEqual([]);
  });

  it('alarms: probe DLQ and prober errors per region; the home region uses the core ops topic, others their own encrypted one', () => {
    for (const [region, t] of b.probers) {
      const names = Object.values(t.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties.AlarmName).sort();
      expect(names).toEqual([`pagerless-critical-probe-age-${region}`, `pagerless-critical-probe-dlq-${region}`, `pagerless-warning-prober-errors-${region}`, `pagerless-warning-prober-throttles-${region}`]);
      const dlqAlarm = Object.values(t.findResources('AWS::CloudWatch::Alarm', { Properties: { AlarmName: `pagerless-critical-probe-dlq-${region}` } }))[0]!;
      expect(dlqAlarm.Properties).toMatchObject({ MetricName: 'ApproximateNumberOfMessagesVisible', Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
      const action = flat(dlqAlarm.Properties.AlarmActions[0]);
      if (region === HOME) {
        expect(action).toBe(`arn:\${AWS::Partition}:sns:${HOME}:\${AWS::AccountId}:${RESOURCE_NAMES.opsTopic}`);
        t.resourceCountIs('AWS::SNS::Topic', 0);
      } else {
        const topic = Object.entries(t.findResources('AWS::SNS::Topic'));
        expect(topic).toHaveLength(1);
        expect(action).toBe(`\${${topic[0]![0]}}`);
        const key = Object.keys(t.findResources('AWS::KMS::Key', { Properties: { EnableKeyRotation: true } }));
        expect(key).toHaveLength(1);
        expect(topic[0]![1].Properties).toMatchObject({ TopicName: RESOURCE_NAMES.opsTopic, KmsMasterKeyId: { 'Fn::GetAtt': [key[0], 'Arn'] } });
      }
    }
  });
});
