/**
 * The AWS reactions against mocked SDK clients (aws-sdk-client-mock): the exact request each one
 * sends (shapes per the EC2 and Route 53 API references), how AWS errors read in the timeline, the
 * failover's memo and its revert, the config keys with their errors, and one outage through the
 * effect executor with a SQLite outbox: failover on open, restore on resolve.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EC2Client, EC2ServiceException, RebootInstancesCommand } from '@aws-sdk/client-ec2';
import {
  ChangeResourceRecordSetsCommand,
  ListResourceRecordSetsCommand,
  Route53Client,
  Route53ServiceException,
  type ResourceRecordSet,
} from '@aws-sdk/client-route-53';
import { SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { SqliteStore } from '../../shared/adapters/local/sqlite-store.ts';
import type { SendContext } from '../../shared/channels/channel.ts';
import { ConfigError, parseConfig } from '../../shared/config/load.ts';
import { EffectExecutor, type Logger } from '../../shared/engine/effects.ts';
import { Evaluator } from '../../shared/engine/evaluator.ts';
import { policiesFor } from '../../shared/engine/policy.ts';
import type { AwsClients } from '../../shared/ports.ts';
import { ec2Reboot } from '../../shared/reactions/ec2-reboot.ts';
import { reactions } from '../../shared/reactions/index.ts';
import type { ReactionInput } from '../../shared/reactions/reaction.ts';
import { route53Failover } from '../../shared/reactions/route53-failover.ts';

const ec2 = mockClient(EC2Client);
const r53 = mockClient(Route53Client);
const credentials = { accessKeyId: 'AKIDTEST', secretAccessKey: 'test' };

/** The region each EC2 client was asked for, in order. */
let ec2Regions: string[];
const aws: AwsClients = {
  ec2: (region) => {
    ec2Regions.push(region);
    return new EC2Client({ region, credentials });
  },
  route53: () => new Route53Client({ region: 'us-east-1', credentials }),
  sns: (region) => new SNSClient({ region, credentials }),
};
const ctx: SendContext = { timeoutMs: 5_000, print: () => undefined, aws };
const noAws: SendContext = { timeoutMs: 5_000, print: () => undefined };
const input: ReactionInput = { reaction: 'failover', check: 'shop/api', incident: null, trigger: '3 consecutive failed rounds' };

beforeEach(() => {
  ec2.reset();
  r53.reset();
  ec2Regions = [];
});

/** An AWS error as the SDK throws it: the error code is the name. */
function ec2Error(name: string, message: string): EC2ServiceException {
  return new EC2ServiceException({ name, message, $fault: 'client', $metadata: { httpStatusCode: 400 } });
}
function r53Error(name: string, message: string): Route53ServiceException {
  return new Route53ServiceException({ name, message, $fault: 'client', $metadata: { httpStatusCode: 400 } });
}

const minimal = (extra: Record<string, unknown>) => stringify({
  version: 1,
  ...extra,
  services: [{ name: 'shop', checks: [{ name: 'api', tcp: { host: '127.0.0.1', port: 9 } }] }],
});

/** The config errors of a text, one `key.path: reason` per line (file:line:col dropped). */
function configErrors(text: string): string[] {
  try {
    parseConfig(text, 'monitors.yaml', {});
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw err;
  }
  return [];
}

describe('ec2-reboot', () => {
  const spec = ec2Reboot.schema.parse({ type: 'ec2-reboot', instanceIds: ['i-0123456789abcdef0', 'i-0fedcba987654321f'], region: 'eu-west-1' });

  it('sends RebootInstances with the instance ids to the spec region and names them in the outcome; nothing to revert', async () => {
    ec2.on(RebootInstancesCommand).resolves({});
    const ran = await ec2Reboot.run(spec, input, ctx);
    expect(ran).toEqual({ outcome: 'executed', detail: 'reboot requested for i-0123456789abcdef0, i-0fedcba987654321f in eu-west-1' });
    const calls = ec2.commandCalls(RebootInstancesCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.args[0].input).toEqual({ InstanceIds: ['i-0123456789abcdef0', 'i-0fedcba987654321f'] });
    expect(ec2Regions).toEqual(['eu-west-1']);
    expect(ran.memo).toBeUndefined();
    expect(ec2Reboot.revert).toBeUndefined();
  });

  it.each([
    ['IncorrectInstanceState', "The instance 'i-0123456789abcdef0' is not in a state from which it can be rebooted."],
    ['UnauthorizedOperation', 'You are not authorized to perform this operation.'],
    ['InvalidInstanceID.NotFound', "The instance ID 'i-0123456789abcdef0' does not exist"],
  ])('reports %s as failed, with the AWS error name and message', async (name, message) => {
    ec2.on(RebootInstancesCommand).rejects(ec2Error(name, message));
    const ran = await ec2Reboot.run(spec, input, ctx);
    expect(ran).toEqual({ outcome: 'failed', detail: `RebootInstances i-0123456789abcdef0, i-0fedcba987654321f in eu-west-1 failed: ${name}: ${message}` });
    expect(ran.memo).toBeUndefined();
  });

  it('fails without calling anything when the runtime has no AWS clients (the local engine)', async () => {
    expect(await ec2Reboot.run(spec, input, noAws)).toEqual({ outcome: 'failed', detail: 'no AWS credentials/clients in this runtime' });
    expect(ec2.calls()).toHaveLength(0);
  });

  it('is registered under its type, parses from monitors.yaml, and rejects bad instance ids, an empty list, more than 50 ids, a bad region and a revert key, naming each', () => {
    expect(reactions['ec2-reboot']).toBe(ec2Reboot);
    const cfg = parseConfig(minimal({ reactions: { 'reboot-web': { type: 'ec2-reboot', instanceIds: ['i-0123456789abcdef0'], region: 'us-east-1', after: 3, cooldown: '15m' } } }), 'monitors.yaml', {});
    expect(cfg.reactions['reboot-web']).toEqual({
      id: 'reboot-web', type: 'ec2-reboot', after: 3, cooldownMs: 900_000, revert: false,
      spec: { type: 'ec2-reboot', instanceIds: ['i-0123456789abcdef0'], region: 'us-east-1', after: 3, cooldown: '15m' },
    });
    const ids = Array.from({ length: 51 }, (_, i) => `i-${String(i).padStart(17, '0')}`);
    expect(configErrors(minimal({
      reactions: {
        a: { type: 'ec2-reboot', instanceIds: ['i-0123456789abcdef0', 'i-XYZ', 'web-1'], region: 'us-east-1' },
        b: { type: 'ec2-reboot', instanceIds: [], region: 'Frankfurt' },
        c: { type: 'ec2-reboot', instanceIds: ids, region: 'us-east-1', revert: true },
      },
    }))).toEqual([
      'reactions.a.instanceIds.1: "i-XYZ" must be an EC2 instance id like i-0123456789abcdef0',
      'reactions.a.instanceIds.2: "web-1" must be an EC2 instance id like i-0123456789abcdef0',
      'reactions.b.instanceIds: needs at least 1 entry',
      'reactions.b.region: "Frankfurt" must be an AWS region like us-east-1',
      'reactions.c.instanceIds: a list is too big (maximum 50)',
      'reactions.c.revert: unknown key "revert"',
    ]);
  });
});

describe('route53-failover', () => {
  const spec = route53Failover.schema.parse({ type: 'route53-failover', hostedZoneId: 'Z123EXAMPLE', record: 'api.example.com', to: 'backup.example.com', revert: true });
  const ORIGINAL: ResourceRecordSet = { Name: 'api.example.com.', Type: 'CNAME', TTL: 300, ResourceRecords: [{ Value: 'primary.example.com' }] };
  const FAILED_OVER: ResourceRecordSet = { Name: 'api.example.com.', Type: 'CNAME', TTL: 60, ResourceRecords: [{ Value: 'backup.example.com' }] };
  const MEMO = { Name: 'api.example.com.', Type: 'CNAME', TTL: 300, ResourceRecords: [{ Value: 'primary.example.com' }] };
  const LIST_INPUT = { HostedZoneId: 'Z123EXAMPLE', StartRecordName: 'api.example.com', StartRecordType: 'CNAME', MaxItems: 1 };

  const listing = (...sets: ResourceRecordSet[]) => ({ ResourceRecordSets: sets, IsTruncated: sets.length > 0, MaxItems: 1 });
  const changed = (id: string) => ({ ChangeInfo: { Id: `/change/${id}`, Status: 'PENDING' as const, SubmittedAt: new Date('2026-11-22T03:04:05Z') } });
  const changes = () => r53.commandCalls(ChangeResourceRecordSetsCommand).map((c) => c.args[0].input);

  it('has the defaults of DESIGN.md: CNAME, TTL 60, no revert', () => {
    expect(route53Failover.schema.parse({ type: 'route53-failover', hostedZoneId: 'Z1', record: 'a.example.com', to: 'b.example.com' }))
      .toMatchObject({ recordType: 'CNAME', ttl: 60, revert: false, after: 1, cooldown: '5m' });
  });

  it('reads the record, UPSERTs it to the target and returns the original record set as its memo', async () => {
    r53.on(ListResourceRecordSetsCommand).resolves(listing(ORIGINAL)).on(ChangeResourceRecordSetsCommand).resolves(changed('C2OEXAMPLE'));
    const ran = await route53Failover.run(spec, input, ctx);
    expect(ran).toEqual({
      outcome: 'executed',
      detail: 'api.example.com CNAME now points at backup.example.com (was primary.example.com; change C2OEXAMPLE PENDING)',
      memo: MEMO,
    });
    expect(r53.commandCalls(ListResourceRecordSetsCommand).map((c) => c.args[0].input)).toEqual([LIST_INPUT]);
    expect(changes()).toEqual([{
      HostedZoneId: 'Z123EXAMPLE',
      ChangeBatch: {
        Comment: 'Pagerless failover on shop/api: fail over to backup.example.com',
        Changes: [{ Action: 'UPSERT', ResourceRecordSet: { Name: 'api.example.com.', Type: 'CNAME', TTL: 60, ResourceRecords: [{ Value: 'backup.example.com' }] } }],
      },
    }]);
    // The memo survives the outbox's JSON round trip as it is.
    expect(JSON.parse(JSON.stringify(ran.memo))).toEqual(MEMO);
  });

  it('fails over an A record to an address with the configured TTL', async () => {
    const a = route53Failover.schema.parse({ type: 'route53-failover', hostedZoneId: 'Z9', record: 'www.example.com', to: '192.0.2.10', recordType: 'A', ttl: 30 });
    r53.on(ListResourceRecordSetsCommand).resolves(listing({ Name: 'www.example.com.', Type: 'A', TTL: 600, ResourceRecords: [{ Value: '198.51.100.1' }, { Value: '198.51.100.2' }] }))
      .on(ChangeResourceRecordSetsCommand).resolves(changed('C1'));
    const ran = await route53Failover.run(a, input, ctx);
    expect(ran.detail).toBe('www.example.com A now points at 192.0.2.10 (was 198.51.100.1, 198.51.100.2; change C1 PENDING)');
    expect(ran.memo).toEqual({ Name: 'www.example.com.', Type: 'A', TTL: 600, ResourceRecords: [{ Value: '198.51.100.1' }, { Value: '198.51.100.2' }] });
    expect(changes()[0]!.ChangeBatch!.Changes).toEqual([
      { Action: 'UPSERT', ResourceRecordSet: { Name: 'www.example.com.', Type: 'A', TTL: 30, ResourceRecords: [{ Value: '192.0.2.10' }] } },
    ]);
    expect(r53.commandCalls(ListResourceRecordSetsCommand)[0]!.args[0].input).toEqual({ HostedZoneId: 'Z9', StartRecordName: 'www.example.com', StartRecordType: 'A', MaxItems: 1 });
  });

  it('changes nothing and returns no memo when the record already points at the target, so an earlier memo of the real original is kept', async () => {
    r53.on(ListResourceRecordSetsCommand).resolves(listing({ ...FAILED_OVER, ResourceRecords: [{ Value: 'Backup.Example.com.' }] }));
    const ran = await route53Failover.run(spec, input, ctx);
    expect(ran).toEqual({ outcome: 'executed', detail: 'api.example.com CNAME already pointing at backup.example.com' });
    expect(ran.memo).toBeUndefined();
    expect(changes()).toEqual([]);
  });

  it('fails without a change when the listing starts at another record (the record does not exist)', async () => {
    r53.on(ListResourceRecordSetsCommand).resolves(listing({ Name: 'apx.example.com.', Type: 'CNAME', TTL: 60, ResourceRecords: [{ Value: 'x.example.com' }] }));
    expect(await route53Failover.run(spec, input, ctx)).toEqual({ outcome: 'failed', detail: 'api.example.com CNAME not found in hosted zone Z123EXAMPLE' });
    r53.on(ListResourceRecordSetsCommand).resolves(listing({ ...ORIGINAL, Type: 'TXT' }));
    expect((await route53Failover.run(spec, input, ctx)).outcome).toBe('failed');
    r53.on(ListResourceRecordSetsCommand).resolves(listing());
    expect((await route53Failover.run(spec, input, ctx)).detail).toBe('api.example.com CNAME not found in hosted zone Z123EXAMPLE');
    expect(changes()).toEqual([]);
  });

  it('leaves a record with a routing policy alone', async () => {
    r53.on(ListResourceRecordSetsCommand).resolves(listing({ ...ORIGINAL, SetIdentifier: 'blue', Weight: 50 }));
    expect(await route53Failover.run(spec, input, ctx)).toEqual({
      outcome: 'failed',
      detail: 'api.example.com CNAME has a routing policy (set blue); route53-failover changes simple records only',
    });
    expect(changes()).toEqual([]);
  });

  it('reports AWS errors of either call by name and message, with no memo', async () => {
    r53.on(ListResourceRecordSetsCommand).resolves(listing(ORIGINAL))
      .on(ChangeResourceRecordSetsCommand).rejects(r53Error('InvalidChangeBatch', 'RRSet of type CNAME with DNS name api.example.com. is not permitted at apex'));
    expect(await route53Failover.run(spec, input, ctx)).toEqual({
      outcome: 'failed',
      detail: 'ChangeResourceRecordSets UPSERT api.example.com CNAME in Z123EXAMPLE failed: InvalidChangeBatch: RRSet of type CNAME with DNS name api.example.com. is not permitted at apex',
    });
    r53.reset();
    r53.on(ListResourceRecordSetsCommand).rejects(r53Error('NoSuchHostedZone', 'No hosted zone found with ID: Z123EXAMPLE'));
    expect(await route53Failover.run(spec, input, ctx)).toEqual({
      outcome: 'failed',
      detail: 'ListResourceRecordSets in Z123EXAMPLE failed: NoSuchHostedZone: No hosted zone found with ID: Z123EXAMPLE',
    });
    expect(changes()).toEqual([]);
  });

  it('reverts by UPSERTing the memo: the original value and TTL', async () => {
    r53.on(ListResourceRecordSetsCommand).resolves(listing(FAILED_OVER)).on(ChangeResourceRecordSetsCommand).resolves(changed('C3'));
    const reverted = await route53Failover.revert!(spec, input, MEMO, ctx);
    expect(reverted).toEqual({ outcome: 'executed', detail: 'api.example.com CNAME points at primary.example.com again (change C3 PENDING)' });
    expect(changes()).toEqual([{
      HostedZoneId: 'Z123EXAMPLE',
      ChangeBatch: {
        Comment: 'Pagerless failover on shop/api: restore primary.example.com',
        Changes: [{ Action: 'UPSERT', ResourceRecordSet: { Name: 'api.example.com.', Type: 'CNAME', TTL: 300, ResourceRecords: [{ Value: 'primary.example.com' }] } }],
      },
    }]);
  });

  it('restores an alias record from its memo', async () => {
    const alias = route53Failover.schema.parse({ type: 'route53-failover', hostedZoneId: 'Z9', record: 'www.example.com', to: '192.0.2.10', recordType: 'A' });
    const target = { HostedZoneId: 'Z35SXDOTRQ7X7K', DNSName: 'dualstack.web-123.us-east-1.elb.amazonaws.com.', EvaluateTargetHealth: true };
    r53.on(ListResourceRecordSetsCommand).resolvesOnce(listing({ Name: 'www.example.com.', Type: 'A', AliasTarget: target }))
      .resolves(listing({ Name: 'www.example.com.', Type: 'A', TTL: 60, ResourceRecords: [{ Value: '192.0.2.10' }] }))
      .on(ChangeResourceRecordSetsCommand).resolves(changed('C4'));
    const ran = await route53Failover.run(alias, input, ctx);
    expect(ran.memo).toEqual({ Name: 'www.example.com.', Type: 'A', AliasTarget: target });
    const reverted = await route53Failover.revert!(alias, input, JSON.parse(JSON.stringify(ran.memo)), ctx);
    expect(reverted.outcome).toBe('executed');
    expect(changes()[1]!.ChangeBatch!.Changes).toEqual([{ Action: 'UPSERT', ResourceRecordSet: { Name: 'www.example.com.', Type: 'A', AliasTarget: target } }]);
  });

  it('does not revert without a memo, and says why', async () => {
    for (const memo of [undefined, null, { Name: 'api.example.com.' }]) {
      expect(await route53Failover.revert!(spec, input, memo, ctx)).toEqual({
        outcome: 'failed',
        detail: 'nothing to restore: no original api.example.com record was saved when the failover ran',
      });
    }
    expect(r53.calls()).toHaveLength(0);
  });

  it('leaves a record someone changed during the outage as it is', async () => {
    r53.on(ListResourceRecordSetsCommand).resolves(listing({ ...ORIGINAL, ResourceRecords: [{ Value: 'hotfix.example.com' }] }));
    expect(await route53Failover.revert!(spec, input, MEMO, ctx)).toEqual({
      outcome: 'failed',
      detail: 'not restored: api.example.com now points at hotfix.example.com, not backup.example.com; it was changed since the failover, so it is left as it is',
    });
    expect(changes()).toEqual([]);
  });

  it('does not restore a memo saved for another record or type (the config changed since the failover)', async () => {
    r53.on(ListResourceRecordSetsCommand).resolves(listing(FAILED_OVER));
    expect(await route53Failover.revert!(spec, input, { ...MEMO, Name: 'old-api.example.com.' }, ctx)).toEqual({
      outcome: 'failed',
      detail: 'not restored: the saved original is old-api.example.com. CNAME, the reaction now changes api.example.com CNAME',
    });
    expect((await route53Failover.revert!(spec, input, { ...MEMO, Type: 'A', ResourceRecords: [{ Value: '192.0.2.1' }] }, ctx)).outcome).toBe('failed');
    expect(changes()).toEqual([]);
  });

  it('reports a record that already points at the original as restored, without a change', async () => {
    r53.on(ListResourceRecordSetsCommand).resolves(listing(ORIGINAL));
    expect(await route53Failover.revert!(spec, input, MEMO, ctx)).toEqual({ outcome: 'executed', detail: 'api.example.com CNAME already points at primary.example.com' });
    expect(changes()).toEqual([]);
  });

  it('fails run and revert without calling anything when the runtime has no AWS clients', async () => {
    const none = { outcome: 'failed', detail: 'no AWS credentials/clients in this runtime' };
    expect(await route53Failover.run(spec, input, noAws)).toEqual(none);
    expect(await route53Failover.revert!(spec, input, MEMO, noAws)).toEqual(none);
    expect(r53.calls()).toHaveLength(0);
  });

  it('is registered under its type; revert: true reaches the compiled config', () => {
    expect(reactions['route53-failover']).toBe(route53Failover);
    const cfg = parseConfig(minimal({ reactions: { failover: { type: 'route53-failover', hostedZoneId: 'Z123EXAMPLE', record: 'api.example.com', to: 'backup.example.com', revert: true } } }), 'monitors.yaml', {});
    expect(cfg.reactions.failover).toMatchObject({ type: 'route53-failover', revert: true, spec: { recordType: 'CNAME', ttl: 60 } });
  });

  it('rejects bad zone ids, record names and targets that do not fit the record type, naming each', () => {
    expect(configErrors(minimal({
      reactions: {
        a: { type: 'route53-failover', hostedZoneId: 'z123', record: 'api.example.com', to: 'backup.example.com' },
        b: { type: 'route53-failover', hostedZoneId: '/hostedzone/Z123', record: 'api', to: 'backup.example.com' },
        c: { type: 'route53-failover', hostedZoneId: 'Z123', record: 'api.example.com', to: '192.0.2.10' },
        d: { type: 'route53-failover', hostedZoneId: 'Z123', record: 'api.example.com', to: 'backup.example.com', recordType: 'A' },
        e: { type: 'route53-failover', hostedZoneId: 'Z123', record: 'api.example.com', to: 'not a name', recordType: 'AAAA', ttl: -1 },
      },
    }))).toEqual([
      'reactions.a.hostedZoneId: "z123" must be a Route 53 hosted zone id like Z0123456789ABCDEFGHIJ',
      'reactions.b.hostedZoneId: "/hostedzone/Z123" must be a Route 53 hosted zone id like Z0123456789ABCDEFGHIJ',
      'reactions.b.record: "api" must be a DNS name like api.example.com',
      'reactions.c.to: "192.0.2.10" is an IP address: a CNAME points at a name; write recordType: A to point at an address',
      'reactions.d.to: "backup.example.com" is not an IPv4 address: with recordType A, "to" must be one like 192.0.2.10',
      'reactions.e.recordType: "AAAA" is not one of "CNAME", "A"',
      'reactions.e.ttl: -1 is too small (minimum 0)',
    ]);
  });
});

describe('a failover through the effect executor', () => {
  let dir: string;
  let store: SqliteStore;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pagerless-aws-reactions-'));
    store = new SqliteStore(join(dir, 'pagerless.db'));
  });

  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('points the record at the standby when the incident opens and restores it when it resolves', async () => {
    const config = parseConfig(stringify({
      version: 1,
      defaults: { failures: 1 },
      reactions: { failover: { type: 'route53-failover', hostedZoneId: 'Z123EXAMPLE', record: 'api.example.com', to: 'backup.example.com', revert: true } },
      services: [{ name: 'shop', react: ['failover'], checks: [{ name: 'api', http: { url: 'http://127.0.0.1:9/health' } }] }],
    }), 'monitors.yaml', {});
    // Route 53 as a tiny fake: one record, listed and upserted.
    let record: ResourceRecordSet = { Name: 'api.example.com.', Type: 'CNAME', TTL: 300, ResourceRecords: [{ Value: 'primary.example.com' }] };
    let changeId = 0;
    r53.on(ListResourceRecordSetsCommand).callsFake(() => ({ ResourceRecordSets: [structuredClone(record)], IsTruncated: false, MaxItems: 1 }));
    r53.on(ChangeResourceRecordSetsCommand).callsFake((req: { ChangeBatch: { Changes: { ResourceRecordSet: ResourceRecordSet }[] } }) => {
      record = structuredClone(req.ChangeBatch.Changes[0]!.ResourceRecordSet);
      return { ChangeInfo: { Id: `/change/C${++changeId}`, Status: 'PENDING', SubmittedAt: new Date() } };
    });
    const logs: string[] = [];
    const log: Logger = { info: (m) => logs.push(m), warn: (m) => logs.push(m), error: (m) => logs.push(m) };
    const t0 = Date.parse('2026-11-22T03:04:05Z');
    let now = t0;
    const executor = new EffectExecutor({ outbox: store, incidents: store, memos: store, config, aws, clock: { now: () => now }, log, print: () => undefined });
    const evaluator = new Evaluator(store, policiesFor(config));

    const down = await evaluator.apply({ check: 'shop/api', region: 'local', at: t0, ok: false, latencyMs: 3, reason: 'connection refused' });
    const incidentId = down!.state.incident!.id;
    expect(down!.effects.filter((e) => e.kind === 'react').map((e) => e.kind === 'react' && e.decision)).toEqual(['run']);
    await executor.drain();
    expect(record.ResourceRecords).toEqual([{ Value: 'backup.example.com' }]);
    expect(await store.loadMemo('*', 'failover')).toEqual({ Name: 'api.example.com.', Type: 'CNAME', TTL: 300, ResourceRecords: [{ Value: 'primary.example.com' }] });

    now = t0 + 60_000;
    const up = await evaluator.apply({ check: 'shop/api', region: 'local', at: now, ok: true, latencyMs: 3, reason: 'status 200' });
    expect(up!.effects.filter((e) => e.kind === 'react').map((e) => e.kind === 'react' && e.decision)).toEqual(['revert']);
    await executor.drain();

    expect(record).toEqual({ Name: 'api.example.com.', Type: 'CNAME', TTL: 300, ResourceRecords: [{ Value: 'primary.example.com' }] });
    expect(r53.commandCalls(ChangeResourceRecordSetsCommand)).toHaveLength(2);
    const timeline = await store.timeline(incidentId);
    expect(timeline.filter((e) => e.kind === 'reaction').map((e) => e.detail)).toEqual([
      'failover (route53-failover) executed: api.example.com CNAME now points at backup.example.com (was primary.example.com; change C1 PENDING)',
      'failover (route53-failover) executed: reverted: api.example.com CNAME points at primary.example.com again (change C2 PENDING)',
    ]);
    expect(await store.pendingCount()).toBe(0);
  });

  it('with two checks on one failover, the record goes back only when the last of them recovers', async () => {
    const config = parseConfig(stringify({
      version: 1,
      defaults: { failures: 1 },
      reactions: { failover: { type: 'route53-failover', hostedZoneId: 'Z123EXAMPLE', record: 'api.example.com', to: 'backup.example.com', revert: true } },
      services: [{ name: 'shop', react: ['failover'], checks: [{ name: 'a', http: { url: 'http://127.0.0.1:9/a' } }, { name: 'b', http: { url: 'http://127.0.0.1:9/b' } }] }],
    }), 'monitors.yaml', {});
    let record: ResourceRecordSet = { Name: 'api.example.com.', Type: 'CNAME', TTL: 300, ResourceRecords: [{ Value: 'primary.example.com' }] };
    r53.on(ListResourceRecordSetsCommand).callsFake(() => ({ ResourceRecordSets: [structuredClone(record)], IsTruncated: false, MaxItems: 1 }));
    r53.on(ChangeResourceRecordSetsCommand).callsFake((req: { ChangeBatch: { Changes: { ResourceRecordSet: ResourceRecordSet }[] } }) => {
      record = structuredClone(req.ChangeBatch.Changes[0]!.ResourceRecordSet);
      return { ChangeInfo: { Id: '/change/C', Status: 'PENDING', SubmittedAt: new Date() } };
    });
    const log: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };
    let now = Date.parse('2026-11-22T03:04:05Z');
    const executor = new EffectExecutor({ outbox: store, incidents: store, memos: store, config, aws, clock: { now: () => now }, log, print: () => undefined });
    const evaluator = new Evaluator(store, policiesFor(config));
    const step = async (check: string, ok: boolean) => {
      now += 1_000;
      await evaluator.apply({ check, region: 'local', at: now, ok, latencyMs: 3, reason: ok ? 'status 200' : 'connection refused' });
      await executor.drain();
    };
    await step('shop/a', false);
    await step('shop/b', false);
    expect(record.ResourceRecords).toEqual([{ Value: 'backup.example.com' }]);
    await step('shop/a', true); // b is still down: keep the failover
    expect(record.ResourceRecords).toEqual([{ Value: 'backup.example.com' }]);
    const aIncident = (await store.listIncidents(10)).find((i) => i.check === 'shop/a')!;
    expect((await store.timeline(aIncident.id)).map((e) => e.detail)).toContain('failover (route53-failover) skipped: kept: shop/b still down');
    await step('shop/b', true); // the last one: restore the original
    expect(record.ResourceRecords).toEqual([{ Value: 'primary.example.com' }]);
  });
});
