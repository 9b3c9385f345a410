/**
 * The store contract against DynamoStore on DynamoDB Local (fresh tables per test), then what is
 * particular to DynamoDB: one compact Results item per batch and its stream record, one transaction
 * per commit, no Scan, the look-back window, and claims a live container still holds.
 */
import { DescribeStreamCommand, DynamoDBStreamsClient, GetRecordsCommand, GetShardIteratorCommand } from '@aws-sdk/client-dynamodb-streams';
import { DeleteTableCommand, DescribeTableCommand, GetItemCommand, QueryCommand as LowQueryCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeResultsRecord, DynamoStore, type DynamoStoreOptions } from '../../shared/adapters/aws/dynamo-store.ts';
import { RESULTS_TABLE, STATE_TABLE } from '../../shared/adapters/aws/tables.ts';
import type { Effect, Incident, ProbeResult } from '../../shared/types.ts';
import { startDynamoLocal, type DynamoLocal } from '../support/dynamodb-local.ts';
import { storeContract } from './store.contract.ts';

let local: DynamoLocal;
let tableCount = 0;

beforeAll(async () => {
  local = await startDynamoLocal();
}, 60_000);

afterAll(async () => {
  await local?.stop();
});

/** Fresh tables, a document client whose every call is recorded (operation names), and a store. */
async function fresh(options: Partial<DynamoStoreOptions> = {}) {
  tableCount += 1;
  const names = { state: `state-${tableCount}`, results: `results-${tableCount}` };
  await local.createTables(names);
  const low = local.client();
  const calls: string[] = [];
  low.middlewareStack.add((next, context) => async (args) => {
    calls.push(String(context.commandName).replace(/Command$/, ''));
    return next(args);
  }, { step: 'initialize', name: 'recordCalls' });
  const client = DynamoDBDocumentClient.from(low, { marshallOptions: { removeUndefinedValues: true } });
  const store = new DynamoStore({ client, stateTable: names.state, resultsTable: names.results, ...options });
  return {
    store, client, low, names, calls,
    close: async () => {
      for (const table of [names.state, names.results]) await low.send(new DeleteTableCommand({ TableName: table }));
    },
  };
}

// Same behaviour as SQLite, which returns every claimed item at start-up: no claim timeout.
storeContract('DynamoDB', async () => fresh({ claimTimeoutMs: 0 }));

const T0 = Date.parse('2026-11-22T03:00:00.000Z');
const CHECK = 'checkout/api';
const incident: Incident = {
  id: 'checkout.api.1', check: CHECK, service: 'checkout', group: null, severity: 'critical', openedAt: new Date(T0).toISOString(),
  resolvedAt: null, durationSeconds: null, reason: 'status 500 does not match 2xx', regions: { 'us-east-1': 'down' },
};
const notify = (key: string): Effect => ({ kind: 'notify', key, channel: `team-${key}`, payload: { event: 'incident.opened', incident } });
const state = (version: number) => ({ check: CHECK, version, regions: {}, incident: null, reactions: {} });

function batch(n: number, at: number, region = 'eu-west-1'): ProbeResult[] {
  return Array.from({ length: n }, (_, i) => ({
    check: `svc${i % 17}/check-${i}`, region, at: at - (i % 7) * 1_000, ok: i % 5 !== 0, latencyMs: 10 + i / 3,
    reason: i % 5 !== 0 ? 'status 200' : 'status 503 does not match 2xx', attempts: 1 + (i % 2),
    ...(i % 3 === 0 ? { timings: { dns: 1, connect: 2.5, firstByte: 9.1, total: 12 } } : {}),
  }));
}

async function rawResultsItems(low: ReturnType<DynamoLocal['client']>, table: string, pk: string): Promise<Record<string, AttributeValue>[]> {
  const out = await low.send(new LowQueryCommand({ TableName: table, KeyConditionExpression: '#pk = :pk', ExpressionAttributeNames: { '#pk': RESULTS_TABLE.partitionKey }, ExpressionAttributeValues: { ':pk': { S: pk } } }));
  return out.Items ?? [];
}

/** Event names on the table's stream so far (DynamoDB Local: one shard). */
async function streamEvents(table: string): Promise<string[]> {
  const streams = new DynamoDBStreamsClient({ region: 'us-east-1', endpoint: local.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  try {
    const arn = (await local.client().send(new DescribeTableCommand({ TableName: table }))).Table!.LatestStreamArn!;
    const names: string[] = [];
    for (const shard of (await streams.send(new DescribeStreamCommand({ StreamArn: arn }))).StreamDescription!.Shards ?? []) {
      let iterator = (await streams.send(new GetShardIteratorCommand({ StreamArn: arn, ShardId: shard.ShardId!, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator;
      for (let i = 0; i < 10 && iterator; i++) {
        const out = await streams.send(new GetRecordsCommand({ ShardIterator: iterator }));
        names.push(...(out.Records ?? []).map((r) => r.eventName!));
        if (!out.Records?.length) break;
        iterator = out.NextShardIterator;
      }
    }
    return names;
  } finally {
    streams.destroy();
  }
}

const hourPk = (at: number) => `results#${new Date(at).toISOString().slice(0, 13)}`;

describe('DynamoDB specifics', () => {
  it('writes one compact item per appendResults call, with a TTL, and decodes its stream record back', async () => {
    const t = await fresh({ retentionMs: 86_400_000 });
    try {
      const now = Date.now();
      const results = batch(200, now);
      results[3] = { ...results[3]!, pushed: true, traceId: 'trace-3' };
      await t.store.appendResults(results);
      expect(t.calls.filter((c) => c === 'PutItem')).toHaveLength(1);
      const items = await rawResultsItems(t.low, t.names.results, hourPk(now));
      expect(items).toHaveLength(1);
      const item = items[0]!;
      expect(item[RESULTS_TABLE.ttlAttribute]).toEqual({ N: String(Math.floor((now + 86_400_000) / 1000)) });
      // Compact: well under 40 bytes a result for this batch (the JSON of the results alone is ~100 a result).
      expect(item.z?.B?.byteLength).toBeLessThan(200 * 40);

      // Lambda hands binary attributes over as base64.
      const image = { ...item, z: { B: Buffer.from(item.z!.B!).toString('base64') } } as never;
      const decoded = decodeResultsRecord({ eventName: 'INSERT', dynamodb: { NewImage: image } });
      expect(decoded).toEqual(results.map((r) => ({ ...r, latencyMs: Math.round(r.latencyMs * 10) / 10 })));
      expect(decoded[3]).toMatchObject({ pushed: true, traceId: 'trace-3' });
      expect(decodeResultsRecord({ eventName: 'REMOVE', dynamodb: {} })).toEqual([]);

      // A small batch stays readable as a string attribute.
      const push: ProbeResult = { check: 'hooks/dd', region: 'push', at: now + 1, ok: false, latencyMs: 0, reason: 'reported down', pushed: true };
      await t.store.appendResults([push]);
      const small = (await rawResultsItems(t.low, t.names.results, hourPk(now + 1))).find((i) => i.n?.N === '1')!;
      expect(typeof small.r?.S).toBe('string');
      expect(decodeResultsRecord({ eventName: 'INSERT', dynamodb: { NewImage: small as never } })).toEqual([push]);
    } finally {
      await t.close();
    }
  });

  it('does not rewrite a redelivered identical batch: one item, one stream record', async () => {
    const t = await fresh();
    try {
      const now = Date.now();
      await t.store.appendResults(batch(5, now));
      await t.store.appendResults(batch(5, now));
      await t.store.appendResults(batch(6, now));
      expect(await rawResultsItems(t.low, t.names.results, hourPk(now))).toHaveLength(2);
      expect(await streamEvents(t.names.results)).toEqual(['INSERT', 'INSERT']);
    } finally {
      await t.close();
    }
  });

  it('looks back latestWindowMs for the latest results, across an hour boundary', async () => {
    const hour = Date.parse('2026-11-22T05:00:00.000Z');
    const t = await fresh({ clock: { now: () => hour + 60_000 }, latestWindowMs: 15 * 60_000 });
    try {
      await t.store.appendResults([{ check: 'a/old', region: 'r', at: hour - 20 * 60_000, ok: true, latencyMs: 1, reason: 'status 200' }]);
      await t.store.appendResults([{ check: 'a/x', region: 'r', at: hour - 10 * 60_000, ok: true, latencyMs: 1, reason: 'status 200' }]);
      await t.store.appendResults([{ check: 'a/y', region: 'r', at: hour + 30_000, ok: false, latencyMs: 1, reason: 'refused' }]);
      expect((await t.store.latestResults()).map((r) => r.check).sort()).toEqual(['a/x', 'a/y']);
      expect((await t.store.recentResults('a/old', 5)).map((r) => r.check)).toEqual(['a/old']);
    } finally {
      await t.close();
    }
  });

  it('commits with one TransactWriteItems (plus one Query for lines to attach when opening), and never scans', async () => {
    const t = await fresh({ claimTimeoutMs: 0 });
    try {
      // The transaction, then the epoch's bump outside it (see the next test).
      expect(await t.store.commit({ check: CHECK, expectedVersion: 0, state: state(0), effects: [notify('a'), notify('b')], at: T0 })).toBe(true);
      expect(t.calls).toEqual(['TransactWriteItems', 'UpdateItem']);
      t.calls.length = 0;
      expect(await t.store.commit({ check: CHECK, expectedVersion: 1, state: state(1), opened: incident, effects: [notify('c')], at: T0 })).toBe(true);
      expect(t.calls).toEqual(['Query', 'TransactWriteItems', 'UpdateItem']);
      // One effect already enqueued: the transaction is cancelled for it and retried without it.
      t.calls.length = 0;
      expect(await t.store.commit({ check: CHECK, expectedVersion: 2, state: state(2), effects: [notify('c'), notify('d')], at: T0 })).toBe(true);
      expect(t.calls).toEqual(['TransactWriteItems', 'TransactWriteItems', 'UpdateItem']);

      // Every other operation, end to end: none of them scans the table.
      await t.store.listStates();
      await t.store.claimDue(T0, 10);
      await t.store.retryLater('a', 'x', T0);
      await t.store.complete('b', T0);
      await t.store.giveUp('c', 'x', T0);
      await t.store.recoverInterrupted();
      await t.store.pendingCount();
      await t.store.listIncidents(10);
      await t.store.openIncident(CHECK);
      await t.store.timeline(incident.id);
      await t.store.recordPing('jobs/x', T0);
      await t.store.lastPings();
      await t.store.recordPingFailure('jobs/x', T0, 'failed');
      await t.store.lastPingFailures();
      await t.store.watchStart([CHECK], T0);
      await t.store.latestResults();
      await t.store.recentResults(CHECK, 5);
      expect(t.calls).not.toContain('Scan');
      expect(await t.store.pendingCount()).toBe(2); // 'a' back to pending, 'd' pending
    } finally {
      await t.close();
    }
  });

  it('has no hot item: 2,000 first transitions committed at once all go through, and the epoch counts each', async () => {
    const t = await fresh({ claimTimeoutMs: 0 });
    try {
      const before = await t.store.stateEpoch();
      // Which items each transaction writes: DynamoDB Local runs transactions one at a time and so
      // never reports the conflicts DynamoDB would; an item shared by transactions is what causes them.
      const writers = new Map<string, Set<string>>();
      t.low.middlewareStack.add((next, context) => async (args) => {
        if (context.commandName === 'TransactWriteItemsCommand') {
          const items = (args.input as { TransactItems: Record<string, { Item?: Record<string, AttributeValue>; Key?: Record<string, AttributeValue> }>[] }).TransactItems;
          const keys = items.map((op) => Object.values(op)[0]!).map((w) => { const k = w.Item ?? w.Key!; return `${k[STATE_TABLE.partitionKey]!.S}|${k[STATE_TABLE.sortKey]!.S}`; });
          const check = keys.find((k) => k.startsWith('state|'))!;
          for (const k of keys) writers.set(k, (writers.get(k) ?? new Set()).add(check));
        }
        return next(args);
      }, { step: 'build', name: 'recordTransactionKeys' });
      const checks = Array.from({ length: 2_000 }, (_, i) => `storm${i % 40}/check-${i}`);
      // Every check's first transition at the same instant, each with an alert to enqueue (a deploy, an outage storm).
      const outcomes = await Promise.allSettled(checks.map((check) => t.store.commit({
        check, expectedVersion: 0, state: { ...state(0), check }, effects: [{ ...notify(check), key: `${check}:opened` }], at: T0,
      })));
      const failed = outcomes.filter((o) => o.status === 'rejected' || o.value !== true);
      expect({ failed: failed.length, first: failed[0] }).toEqual({ failed: 0, first: undefined });
      expect(t.calls.filter((c) => c === 'TransactWriteItems').length).toBe(2_000);
      // No item is written by the transactions of two checks: contention does not grow with the checks.
      const shared = [...writers].filter(([, by]) => by.size > 1).map(([key, by]) => `${key} (${by.size} checks)`);
      expect(writers.size).toBeGreaterThanOrEqual(2 * 2_000); // each check's state and its alert, at least
      expect(shared).toEqual([]);
      expect(await t.store.stateEpoch()).toBe(before + 2_000);
      expect((await t.store.listStates()).length).toBe(2_000);
    } finally {
      await t.close();
    }
  }, 120_000);

  it('writes nothing when watchStart sees only known checks', async () => {
    const t = await fresh();
    try {
      await t.store.watchStart(['a/x', 'b/y'], T0);
      t.calls.length = 0;
      expect(await t.store.watchStart(['a/x', 'b/y'], T0 + 60_000)).toEqual(new Map([['a/x', T0], ['b/y', T0]]));
      expect(t.calls).toEqual(['Query']);
    } finally {
      await t.close();
    }
  });

  it('keeps an outbox item in the due index only while it is pending or claimed, and expires it once settled', async () => {
    const t = await fresh({ retentionMs: 60_000 });
    try {
      await t.store.enqueue([notify('k')], T0);
      const key = { [STATE_TABLE.partitionKey]: { S: 'outbox#k' }, [STATE_TABLE.sortKey]: { S: 'outbox' } };
      const read = async () => (await t.low.send(new GetItemCommand({ TableName: t.names.state, Key: key, ConsistentRead: true }))).Item!;
      expect(await read()).toMatchObject({ [STATE_TABLE.dueIndex.partitionKey]: { S: 'outbox' }, [STATE_TABLE.dueIndex.sortKey]: { N: String(T0) } });
      await t.store.claimDue(T0 + 5, 10);
      expect(await read()).toMatchObject({ status: { S: 'claimed' }, [STATE_TABLE.dueIndex.partitionKey]: { S: 'claimed' }, [STATE_TABLE.dueIndex.sortKey]: { N: String(T0 + 5) } });
      await t.store.complete('k', T0 + 10);
      const done = await read();
      expect(done.status).toEqual({ S: 'done' });
      expect(done[STATE_TABLE.dueIndex.partitionKey]).toBeUndefined();
      expect(done[STATE_TABLE.dueIndex.sortKey]).toBeUndefined();
      expect(done[STATE_TABLE.ttlAttribute]).toEqual({ N: String(Math.floor((T0 + 10 + 60_000) / 1000)) });
      const index = await t.client.send(new QueryCommand({
        TableName: t.names.state, IndexName: STATE_TABLE.dueIndex.name, KeyConditionExpression: '#p = :p',
        ExpressionAttributeNames: { '#p': STATE_TABLE.dueIndex.partitionKey }, ExpressionAttributeValues: { ':p': 'outbox' },
      }));
      expect(index.Items).toEqual([]);
    } finally {
      await t.close();
    }
  });

  it('claims what it just committed or enqueued even before the (eventually consistent) due index shows it', async () => {
    const t = await fresh();
    // A client whose due index lags: every Query on it comes back empty.
    const lagging = { send: (command: { input: { IndexName?: string } }) => (command.input.IndexName ? Promise.resolve({ Items: [], Count: 0 }) : t.client.send(command as never)) } as unknown as DynamoDBDocumentClient;
    const store = new DynamoStore({ client: lagging, stateTable: t.names.state, resultsTable: t.names.results });
    try {
      expect(await store.commit({ check: CHECK, expectedVersion: 0, state: state(0), effects: [notify('committed')], at: T0 })).toBe(true);
      await store.enqueue([notify('enqueued'), notify('later')], T0 + 1);
      await t.store.enqueue([notify('elsewhere')], T0); // written by another container: only the index would show it
      expect((await store.claimDue(T0 + 1, 1)).map((i) => i.key)).toEqual(['committed']);
      expect((await store.claimDue(T0 + 1, 10)).map((i) => i.key)).toEqual(['enqueued', 'later']);
      await store.retryLater('later', 'answered 503', T0 + 1_000);
      expect(await store.claimDue(T0 + 999, 10)).toEqual([]);
      expect((await store.claimDue(T0 + 1_000, 10)).map((i) => [i.key, i.attempts])).toEqual([['later', 2]]);
      // Claimed once: neither this store nor the other one gets them again; the other one's own item is its to claim.
      expect(await store.claimDue(T0 + 2_000, 10)).toEqual([]);
      expect((await t.store.claimDue(T0 + 2_000, 10)).map((i) => i.key)).toEqual(['elsewhere']);
    } finally {
      await t.close();
    }
  });

  it('leaves a fresh claim to the container running it: recoverInterrupted returns claims older than claimTimeoutMs', async () => {
    let now = T0;
    const t = await fresh({ clock: { now: () => now }, claimTimeoutMs: 15 * 60_000 });
    try {
      await t.store.enqueue([notify('k')], T0);
      await t.store.claimDue(T0, 10);
      now = T0 + 15 * 60_000 - 1;
      expect(await t.store.recoverInterrupted()).toEqual([]);
      now = T0 + 15 * 60_000;
      expect((await t.store.recoverInterrupted()).map((i) => [i.key, i.attempts])).toEqual([['k', 1]]);
    } finally {
      await t.close();
    }
  });

  it('lets two stores on the same tables (two containers) claim each item once and see each other\'s commits', async () => {
    const t = await fresh();
    const other = new DynamoStore({ client: t.client, stateTable: t.names.state, resultsTable: t.names.results });
    try {
      await t.store.enqueue(Array.from({ length: 30 }, (_, i) => notify(`k${i}`)), T0);
      const [a, b] = await Promise.all([t.store.claimDue(T0, 30), other.claimDue(T0, 30)]);
      expect([...a!, ...b!].map((i) => i.key).sort()).toEqual(Array.from({ length: 30 }, (_, i) => `k${i}`).sort());
      expect(await t.store.commit({ check: CHECK, expectedVersion: 0, state: state(0), effects: [], at: T0 })).toBe(true);
      expect(await other.commit({ check: CHECK, expectedVersion: 0, state: state(0), effects: [], at: T0 })).toBe(false);
      expect((await other.getState(CHECK))?.version).toBe(1);
    } finally {
      await t.close();
    }
  });
});
