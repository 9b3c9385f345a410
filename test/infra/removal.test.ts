/**
 * Issue 7: destroy and deploy again. The removal policy reaches every stateful resource, here and
 * in the prober stacks; by default a failed first create leaves nothing behind, and what a
 * `cdk destroy` keeps has a static name CloudFormation can import again
 * (`cdk deploy --import-existing-resources`).
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { build, MULTI_REGION, type Built } from './support.ts';

/** Resource types that hold state (data, keys, subscriptions, logs), with the name CloudFormation would import them by. */
const STATEFUL: Record<string, string | undefined> = {
  'AWS::DynamoDB::Table': 'TableName',
  'AWS::SNS::Topic': 'TopicName',
  'AWS::KMS::Key': undefined,
  'AWS::SQS::Queue': 'QueueName',
  'AWS::Logs::LogGroup': undefined,
};

function templates(b: Built): [string, Template][] {
  return [['core', b.core], ...[...b.probers].map(([region, t]) => [`prober ${region}`, t] as [string, Template])];
}

/** `<stack> <type> <logical id>` -> [DeletionPolicy, UpdateReplacePolicy] of every stateful resource. */
function policies(b: Built): Map<string, [unknown, unknown]> {
  const out = new Map<string, [unknown, unknown]>();
  for (const [where, t] of templates(b)) {
    for (const type of Object.keys(STATEFUL)) {
      for (const [id, r] of Object.entries(t.findResources(type))) out.set(`${where} ${type} ${id}`, [r.DeletionPolicy, r.UpdateReplacePolicy]);
    }
  }
  return out;
}

function typesIn(found: Map<string, unknown>, where: string): string[] {
  return [...new Set([...found.keys()].filter((k) => k.startsWith(`${where} `)).map((k) => k.split(' ').at(-2)!))].sort();
}

describe('removal policy', () => {
  let byDefault: Built;
  let destroy: Built;
  let retain: Built;
  beforeAll(() => {
    byDefault = build(MULTI_REGION);
    destroy = build(MULTI_REGION, { removalPolicy: RemovalPolicy.DESTROY });
    retain = build(MULTI_REGION, { removalPolicy: RemovalPolicy.RETAIN });
  }, 300_000);

  it('reaches every table, topic, key, queue and log group, in the core stack and every prober stack', () => {
    const found = policies(byDefault);
    expect(typesIn(found, 'core')).toEqual(Object.keys(STATEFUL).sort());
    // A prober region other than home has its own ops topic and key; the home one uses the core's.
    expect(typesIn(found, 'prober us-east-1')).toEqual(['AWS::KMS::Key', 'AWS::Logs::LogGroup', 'AWS::SNS::Topic', 'AWS::SQS::Queue']);
    expect(typesIn(found, 'prober eu-west-1')).toEqual(['AWS::Logs::LogGroup', 'AWS::SQS::Queue']);
    for (const [what, p] of found) expect(p, what).toEqual(['RetainExceptOnCreate', 'Retain']);
  });

  it('DESTROY deletes all of them', () => {
    const found = policies(destroy);
    expect(found.size).toBe(policies(byDefault).size);
    for (const [what, p] of found) expect(p, what).toEqual(['Delete', 'Delete']);
  });

  it('RETAIN keeps all of them, even after a failed create, and protects the state table from deletion', () => {
    for (const [what, p] of policies(retain)) expect(p, what).toEqual(['Retain', 'Retain']);
    retain.core.hasResourceProperties('AWS::DynamoDB::Table', { TableName: 'pagerless-state', DeletionProtectionEnabled: true });
  });

  it('no deletion protection by default: it would make the rollback of a failed first create fail', () => {
    byDefault.core.hasResourceProperties('AWS::DynamoDB::Table', { TableName: 'pagerless-state', DeletionProtectionEnabled: false });
  });

  it('what may be kept has a static name (importable again) or a generated one (never in the way)', () => {
    for (const b of [byDefault, retain]) {
      for (const [where, t] of templates(b)) {
        for (const [type, prop] of Object.entries(STATEFUL)) {
          for (const [id, r] of Object.entries(t.findResources(type))) {
            // A token (a name built at deploy time) could not be imported by CloudFormation.
            if (prop && r.Properties[prop] !== undefined) expect(typeof r.Properties[prop], `${where} ${id}`).toBe('string');
            // A log group with a fixed name would block the next deploy.
            if (type === 'AWS::Logs::LogGroup') expect(r.Properties.LogGroupName, `${where} ${id}`).toBeUndefined();
          }
        }
      }
    }
  });

  it('stateless resources are not kept: functions, alarms, the dashboard', () => {
    for (const [where, t] of templates(byDefault)) {
      for (const type of ['AWS::Lambda::Function', 'AWS::CloudWatch::Alarm', 'AWS::CloudWatch::Dashboard', 'AWS::IAM::Role']) {
        for (const [id, r] of Object.entries(t.findResources(type))) expect(r.DeletionPolicy, `${where} ${id}`).toBeUndefined();
      }
    }
  });
});
