/**
 * Least privilege for effects: reactions and SNS channels get IAM on exactly what the config names
 * (instances, hosted zones, topics), for the effect executors only, never on Resource "*".
 */
import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { effectTargets } from '../../infra/config.ts';
import { actionsOf, build, flat, resourcesOf, statementsOf, type Built, type Statement } from './support.ts';

const CHANNEL_TOPIC = 'arn:aws:sns:us-east-1:123456789012:ops';

const WITH_EFFECTS = `version: 1
settings: { home: eu-west-1, regions: [eu-west-1, us-east-1] }
channels:
  ops: { type: sns, topicArn: "${CHANNEL_TOPIC}" }
reactions:
  reboot-web: { type: ec2-reboot, instanceIds: [i-0123456789abcdef0, i-0fedcba9876543210], region: us-east-1, after: 3 }
  reboot-home: { type: ec2-reboot, instanceIds: [i-0aaaaaaaaaaaaaaaa], region: eu-west-1 }
  failover: { type: route53-failover, hostedZoneId: Z123EXAMPLE, record: api.example.com, to: backup.example.com, revert: true }
  failover-b: { type: route53-failover, hostedZoneId: Z999OTHER, record: b.example.com, to: c.example.com }
  restart: { type: webhook, url: "https://ops.example.com/restart" }
services:
  - name: shop
    alert: [ops]
    react: [reboot-web, reboot-home, failover, failover-b, restart]
    checks:
      - name: home
        http: { url: "https://shop.example.com/" }
`;

const EXECUTORS = ['PagerlessCoreEvaluatorRole', 'PagerlessCoreSchedulerRole'];

let b: Built;
beforeAll(() => {
  b = build(WITH_EFFECTS);
}, 180_000); // synth bundles every function with esbuild: slow on a busy machine

const isEffect = (s: Statement) => actionsOf(s).some((a) => a.startsWith('ec2:') || a.startsWith('route53:') || (a === 'sns:Publish' && resourcesOf(s).map(flat).includes(CHANNEL_TOPIC)));

function allStatements(): Statement[] {
  const policies = (t: Template) => [...Object.values(t.findResources('AWS::IAM::Policy')), ...Object.values(t.findResources('AWS::IAM::ManagedPolicy'))];
  return [b.core, ...b.probers.values()].flatMap((t) => policies(t).flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]));
}

describe('effect IAM', () => {
  it('reads the targets from the config: instances by region, hosted zones, SNS topics', () => {
    const t = effectTargets(b.pagerless.config.config, b.pagerless.config.home);
    expect([...t.instances]).toEqual([['eu-west-1', ['i-0aaaaaaaaaaaaaaaa']], ['us-east-1', ['i-0123456789abcdef0', 'i-0fedcba9876543210']]]);
    expect(t.hostedZones).toEqual(['Z123EXAMPLE', 'Z999OTHER']);
    expect(t.topicArns).toEqual([CHANNEL_TOPIC]);
  });

  it.each(EXECUTORS)('%s: reboot only the named instances, in their region', (role) => {
    const reboot = statementsOf(b.core, role).filter((s) => actionsOf(s).includes('ec2:RebootInstances'));
    expect(reboot).toHaveLength(1);
    expect(actionsOf(reboot[0]!)).toEqual(['ec2:RebootInstances']);
    expect(resourcesOf(reboot[0]!).map(flat)).toEqual([
      'arn:${AWS::Partition}:ec2:eu-west-1:${AWS::AccountId}:instance/i-0aaaaaaaaaaaaaaaa',
      'arn:${AWS::Partition}:ec2:us-east-1:${AWS::AccountId}:instance/i-0123456789abcdef0',
      'arn:${AWS::Partition}:ec2:us-east-1:${AWS::AccountId}:instance/i-0fedcba9876543210',
    ]);
  });

  it.each(EXECUTORS)('%s: change and list records only in the named hosted zones', (role) => {
    const dns = statementsOf(b.core, role).filter((s) => actionsOf(s).some((a) => a.startsWith('route53:')));
    expect(dns).toHaveLength(1);
    expect(actionsOf(dns[0]!).sort()).toEqual(['route53:ChangeResourceRecordSets', 'route53:ListResourceRecordSets']);
    expect(resourcesOf(dns[0]!).map(flat)).toEqual(['arn:${AWS::Partition}:route53:::hostedzone/Z123EXAMPLE', 'arn:${AWS::Partition}:route53:::hostedzone/Z999OTHER']);
  });

  it.each(EXECUTORS)('%s: publish to the SNS channel\'s topic', (role) => {
    const publish = statementsOf(b.core, role).filter((s) => actionsOf(s).includes('sns:Publish') && resourcesOf(s).includes(CHANNEL_TOPIC));
    expect(publish.map((s) => [actionsOf(s), resourcesOf(s)])).toEqual([[['sns:Publish'], [CHANNEL_TOPIC]]]);
  });

  it('no statement for a reaction or a channel has Resource "*" (nor a wildcard in an ARN)', () => {
    // One managed policy both executors share: reboot, fail over, publish.
    const effects = allStatements().filter(isEffect);
    expect(effects).toHaveLength(3);
    for (const s of effects) for (const r of resourcesOf(s).map(flat)) expect(r).not.toContain('*');
  });

  it('the only Resource "*" in any stack is dynamodb:ListStreams (no resource-level permissions)', () => {
    expect(allStatements().filter((s) => resourcesOf(s).includes('*')).map(actionsOf)).toEqual([['dynamodb:ListStreams']]);
  });

  it('ingest, status and the probers get no effect permissions', () => {
    for (const role of ['PagerlessCoreIngestRole', 'PagerlessCoreStatusRole']) expect(statementsOf(b.core, role).filter(isEffect), role).toEqual([]);
    for (const [region, t] of b.probers) expect(statementsOf(t, 'ProberProberRole').filter(isEffect), region).toEqual([]);
  });

  it('a config without reactions or SNS channels grants no EC2, Route 53 or channel action', () => {
    const plain = build(WITH_EFFECTS.replace(/^channels:[\s\S]*?^services:/m, 'services:').replace(/\n    alert: \[ops\]\n    react: \[.*\]/, ''));
    expect(Object.keys(plain.pagerless.config.config.reactions)).toEqual([]);
    const actions = [plain.core, ...plain.probers.values()].flatMap((t) => Object.values(t.findResources('AWS::IAM::Policy')))
      .flatMap((p) => (p.Properties.PolicyDocument.Statement as Statement[]).filter((s) => !resourcesOf(s).some((r) => flat(r).includes('Alerts'))).flatMap(actionsOf));
    expect(actions.filter((a) => a.startsWith('ec2:') || a.startsWith('route53:') || a === 'sns:Publish')).toEqual([]);
  });
});
