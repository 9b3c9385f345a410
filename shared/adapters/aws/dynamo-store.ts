/**
 * The engine's store on DynamoDB: the same behaviour as the SQLite store (shared/adapters/local),
 * over two tables. Results: ONE compact item per `appendResults` call (a prober batch), streamed to
 * the evaluator. State: check states, incidents and their timelines, the outbox, pings, watch starts
 * and reaction memos, as single-table items (layout below). A state change, its incident records,
 * its timeline lines and its effects are written in ONE transaction, conditional on the version.
 *
 * State table items (pk / sk):
 * - `state` / `<check>`                       version, body (CheckState JSON): one partition, so listStates is one Query
 * - `incident#<id>` / `incident`              body, check, openedAt, resolvedAt: getIncident
 * - `incidents` / `<openedAt 13 digits>#<id>` body: listIncidents, newest first
 * - `open#<check>` / `<openedAt>#<id>`        body, present while the incident is open: openIncident
 * - `timeline#<incidentId>` / `<stamp>`       check, incidentId, at, kind, detail (stamp = write order)
 * - `unattached#<check>` / `<stamp>`          timeline lines without an incident yet; moved on open; ttl
 * - `outbox#<key>` / `outbox`                 effect (JSON), status, attempts, createdAt, nextAt, settledAt,
 *                                             lastError, ttl once settled; sparse index `due`:
 *                                             duePk `outbox` + dueAt = next attempt while pending,
 *                                             duePk `claimed` + dueAt = claim time while claimed
 * - `pings` / `<check>`, `ping-failures` / `<check>`, `watched` / `<check>`, `memo#<check>` / `<reaction>`
 * Results table: pk `results#<UTC hour, e.g. 2026-11-22T03>`, sk `<newest at, 13 digits>#<region>#<hash>`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import {
  BatchGetCommand,
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type BatchGetCommandOutput,
  type DynamoDBDocumentClient,
  type QueryCommandInput,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { runnableItems } from '../../engine/delivery-order.ts';
import { systemClock, type Clock, type Commit, type EngineStore, type OutboxItem } from '../../ports.ts';
import type { CheckState, Effect, Incident, ProbeResult, TimelineEntry } from '../../types.ts';
import { RESULTS_TABLE, STATE_TABLE } from './tables.ts';

/** Items the transition counter is spread over (see bumpEpoch). */
const EPOCH_SHARDS = 8;
/** See DynamoStoreOptions.claimTimeoutMs. */
export const CLAIM_TIMEOUT_MS = 90_000;

export interface DynamoStoreOptions {
  /** A document client; the caller owns it (close() does not destroy it). */
  client: DynamoDBDocumentClient;
  stateTable: string;
  resultsTable: string;
  /** The region this process writes results from; part of each Results item's sort key. @default the first result's region */
  region?: string;
  /** How long results (and settled outbox items) live before DynamoDB TTL deletes them. @default 7 days */
  retentionMs?: number;
  /** `latestResults` looks only this far back (a Query per UTC hour it spans). @default 15 minutes */
  latestWindowMs?: number;
  /** `recentResults` looks only this far back. @default 1 hour */
  recentWindowMs?: number;
  /**
   * `recoverInterrupted` returns only claims older than this: on Lambda another container may still
   * be running a fresh claim. 0 returns every claim, as the single-process SQLite store does.
   * @default 90 s: longer than any Pagerless function that sends runs (the evaluator's timeout is 60 s,
   * the scheduler's 50 s), so a claim older than that was left by an invocation that ended; the
   * scheduler's minute sends it again, within about a minute of that end.
   */
  claimTimeoutMs?: number;
  /** Used for the look-back windows and the claim timeout only. @default systemClock */
  clock?: Clock;
}

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
/** Results from a prober whose clock runs ahead still count as latest. */
const CLOCK_SKEW_MS = 5 * 60_000;
/** DynamoDB's limit on items per transaction. */
const MAX_TRANSACTION_ITEMS = 100;
/** Results items stay well under DynamoDB's 400 KB item limit; a larger batch becomes several items. */
const MAX_RESULTS_PAYLOAD_BYTES = 300_000;
/** Payloads above this are deflated into a binary attribute (`z`); smaller ones stay readable (`r`). */
const COMPRESS_ABOVE_BYTES = 512;

const PK = STATE_TABLE.partitionKey;
const SK = STATE_TABLE.sortKey;
const TTL = STATE_TABLE.ttlAttribute;
const DUE = STATE_TABLE.dueIndex;
const DUE_PENDING = 'outbox';
const DUE_CLAIMED = 'claimed';
const OUTBOX_SK = 'outbox';

type Item = Record<string, unknown>;
type TxItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** One write of a commit. `ignorable`: a failed condition drops its whole group instead of the commit. */
interface Op {
  tx: TxItem;
  group: string;
  ignorable: boolean;
}

const pad13 = (ms: number) => String(Math.max(0, Math.trunc(ms))).padStart(13, '0');
const hourKey = (ms: number) => `results#${new Date(Math.floor(ms / HOUR_MS) * HOUR_MS).toISOString().slice(0, 13)}`;
const ttlSeconds = (ms: number) => Math.floor(ms / 1000);
const isConditionFailure = (err: unknown) => (err as Error | undefined)?.name === 'ConditionalCheckFailedException';

let lastStamp = 0;
/** Increasing within a process (microseconds of wall time, bumped on ties): orders timeline lines and results writes. */
function nextStamp(): number {
  lastStamp = Math.max(Date.now() * 1000, lastStamp + 1);
  return lastStamp;
}
const stampKey = (stamp: number) => `${String(stamp).padStart(17, '0')}#${randomBytes(3).toString('hex')}`;

export class DynamoStore implements EngineStore {
  private readonly client: DynamoDBDocumentClient;
  private readonly stateTable: string;
  private readonly resultsTable: string;
  private readonly region: string | undefined;
  private readonly retentionMs: number;
  private readonly latestWindowMs: number;
  private readonly recentWindowMs: number;
  private readonly claimTimeoutMs: number;
  private readonly clock: Clock;
  /**
   * Outbox keys this instance wrote, with their due time. The due index is eventually consistent:
   * an effect committed a moment ago may not be in it yet when the same invocation drains, so
   * claimDue also tries these (the conditional claim keeps that safe).
   */
  private readonly written = new Map<string, number>();

  constructor(options: DynamoStoreOptions) {
    this.client = options.client;
    this.stateTable = options.stateTable;
    this.resultsTable = options.resultsTable;
    this.region = options.region;
    this.retentionMs = options.retentionMs ?? 7 * DAY_MS;
    this.latestWindowMs = options.latestWindowMs ?? 15 * 60_000;
    this.recentWindowMs = options.recentWindowMs ?? HOUR_MS;
    this.claimTimeoutMs = options.claimTimeoutMs ?? CLAIM_TIMEOUT_MS;
    this.clock = options.clock ?? systemClock;
  }

  // ---------------------------------------------------------------- results

  async appendResults(results: ProbeResult[]): Promise<void> {
    if (results.length === 0) return;
    for (const item of encodeResultsItems(results, this.region, this.retentionMs)) {
      try {
        await this.client.send(new PutCommand({
          TableName: this.resultsTable,
          Item: item,
          // The same batch written again (a retried prober invocation) is not rewritten: no second stream record.
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': RESULTS_TABLE.partitionKey },
        }));
      } catch (err) {
        if (!isConditionFailure(err)) throw err;
      }
    }
  }

  /** Epoch ms of the newest Results item of the current or the previous hour (for /health: one read). */
  async lastResultAt(): Promise<number | undefined> {
    const now = this.clock.now();
    for (const h of [now, now - HOUR_MS]) {
      const page = await this.client.send(new QueryCommand({
        TableName: this.resultsTable,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': RESULTS_TABLE.partitionKey, '#sk': RESULTS_TABLE.sortKey },
        ExpressionAttributeValues: { ':pk': hourKey(h) },
        ProjectionExpression: '#sk',
        ScanIndexForward: false,
        Limit: 1,
      }));
      const sk = page.Items?.[0]?.[RESULTS_TABLE.sortKey];
      if (typeof sk === 'string') return Number(sk.slice(0, 13));
    }
    return undefined;
  }

  /** Newest result of every (check, region) seen in the last `latestWindowMs` (one Query per UTC hour spanned). */
  async latestResults(): Promise<ProbeResult[]> {
    const now = this.clock.now();
    // Later writes win ties on `at`, like SQLite's rowid order: items by write stamp, results in batch order.
    const items = (await this.itemsBetween(now - this.latestWindowMs, now + CLOCK_SKEW_MS)).sort((a, b) => Number(a.w ?? 0) - Number(b.w ?? 0));
    const latest = new Map<string, ProbeResult>();
    for (const item of items) {
      for (const r of decodeResultsItem(item)) {
        const k = `${r.check}\0${r.region}`;
        const seen = latest.get(k);
        if (!seen || r.at >= seen.at) latest.set(k, r);
      }
    }
    return [...latest.values()];
  }

  /**
   * Every result of the Results items written between `from` and `to` (epoch ms, by the item's
   * write stamp): what a stream batch carried, for replaying one the evaluator could not apply.
   */
  async resultsWrittenBetween(from: number, to: number): Promise<ProbeResult[]> {
    // An item's sort key is its newest `at`, set by the prober before the write (an invocation runs
    // at most 15 minutes; its clock may be ahead).
    const items = await this.itemsBetween(from - 15 * 60_000, to + CLOCK_SKEW_MS);
    return items
      .filter((item) => { const w = Number(item.w ?? 0) / 1000; return w >= from && w <= to; })
      .sort((a, b) => Number(a.w ?? 0) - Number(b.w ?? 0))
      .flatMap((item) => decodeResultsItem(item));
  }

  /** Results items whose newest `at` (their sort key) lies in [low, high]: one Query per UTC hour spanned. */
  private async itemsBetween(low: number, high: number): Promise<Item[]> {
    const hours: number[] = [];
    for (let h = Math.floor(low / HOUR_MS); h <= Math.floor(high / HOUR_MS); h++) hours.push(h * HOUR_MS);
    const pages = await Promise.all(hours.map((h) => this.queryAll({
      TableName: this.resultsTable,
      KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
      ExpressionAttributeNames: { '#pk': RESULTS_TABLE.partitionKey, '#sk': RESULTS_TABLE.sortKey },
      ExpressionAttributeValues: { ':pk': hourKey(h), ':from': pad13(low), ':to': `${pad13(high)}~` },
    })));
    return pages.flat();
  }

  /** Results of one check, newest first, from the last `recentWindowMs`. */
  async recentResults(check: string, limit: number): Promise<ProbeResult[]> {
    if (limit <= 0) return [];
    const now = this.clock.now();
    const from = now - this.recentWindowMs;
    const found: ProbeResult[] = [];
    // Walk back item by item: an item's sort key holds its newest `at`, so once the items read reach
    // back to `sk`, every result newer than `sk` has been seen.
    for (let h = Math.floor((now + CLOCK_SKEW_MS) / HOUR_MS); h >= Math.floor(from / HOUR_MS); h--) {
      let start: Record<string, unknown> | undefined;
      do {
        const page = await this.client.send(new QueryCommand({
          TableName: this.resultsTable,
          KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
          ExpressionAttributeNames: { '#pk': RESULTS_TABLE.partitionKey, '#sk': RESULTS_TABLE.sortKey },
          ExpressionAttributeValues: { ':pk': hourKey(h * HOUR_MS), ':from': pad13(from), ':to': `${pad13(now + CLOCK_SKEW_MS)}~` },
          ScanIndexForward: false,
          Limit: 100,
          ExclusiveStartKey: start,
        }));
        let oldest = Infinity;
        for (const item of page.Items ?? []) {
          found.push(...decodeResultsItem(item).filter((r) => r.check === check));
          oldest = Math.min(oldest, Number(item.b));
        }
        if (found.filter((r) => r.at > oldest).length >= limit) return newestFirst(found).slice(0, limit);
        start = page.LastEvaluatedKey;
      } while (start);
    }
    return newestFirst(found).slice(0, limit);
  }

  /** Results expire by DynamoDB TTL (`retentionMs` after their time), as do settled outbox items: nothing to delete here. */
  async pruneResults(_before: number): Promise<number> {
    return 0;
  }

  // ---------------------------------------------------------------- state

  async getState(check: string): Promise<CheckState | undefined> {
    // Strongly consistent: after a version conflict the evaluator must see the winner's version.
    const out = await this.client.send(new GetCommand({ TableName: this.stateTable, Key: { [PK]: 'state', [SK]: check }, ConsistentRead: true }));
    return out.Item ? toState(out.Item) : undefined;
  }

  async listStates(): Promise<CheckState[]> {
    const items = await this.queryAll({
      TableName: this.stateTable,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': PK },
      ExpressionAttributeValues: { ':pk': 'state' },
    });
    return items.map(toState);
  }

  async commit(c: Commit): Promise<boolean> {
    let ops = await this.commitOps(c);
    // Each retry either drops at least one ignorable group or follows a conflict (at most 10 of those).
    for (let conflicts = 0; conflicts < 10;) {
      // Ops are ordered state, incident records, timeline, effects: the ones that must be atomic come
      // first. Past DynamoDB's 100 items a transaction, the rest (effects, in practice: never seen with
      // real configs) follow as idempotent conditional writes once the transaction has succeeded.
      const inTransaction = ops.slice(0, MAX_TRANSACTION_ITEMS);
      try {
        await this.client.send(new TransactWriteCommand({ TransactItems: inTransaction.map((o) => o.tx) }));
      } catch (err) {
        if ((err as Error).name !== 'TransactionCanceledException') throw err;
        const reasons = (err as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
        const failed = reasons
          .map((r, i) => ({ code: r.Code, op: inTransaction[i] }))
          .filter((f): f is { code: string; op: Op } => f.op !== undefined && f.code !== undefined && f.code !== 'None');
        if (failed.some((f) => f.op.group === 'state' && f.code === 'ConditionalCheckFailed')) return false;
        if (failed.length > 0 && failed.every((f) => f.code === 'ConditionalCheckFailed' && f.op.ignorable)) {
          // Effects already in the outbox (or an incident already opened): SQLite ignores those rows.
          const drop = new Set(failed.map((f) => f.op.group));
          ops = ops.filter((o) => !drop.has(o.group));
          continue;
        }
        if (failed.length > 0 && failed.every((f) => f.code === 'TransactionConflict' || f.code === 'ConditionalCheckFailed')) {
          await sleep(20 * 2 ** conflicts++ + Math.random() * 20); // another transaction touched the same items
          continue;
        }
        throw err;
      }
      for (const o of ops.slice(MAX_TRANSACTION_ITEMS)) await this.writeAlone(o);
      for (const o of ops) if (o.group.startsWith('effect:')) this.remember(o.group.slice('effect:'.length), c.at);
      await this.bumpEpoch(c.check);
      return true;
    }
    throw new Error(`commit of ${c.check} did not go through: 10 transaction conflicts in a row`);
  }

  private async commitOps(c: Commit): Promise<Op[]> {
    const T = this.stateTable;
    const version = c.expectedVersion + 1;
    const ops: Op[] = [];
    const stateItem = { [PK]: 'state', [SK]: c.check, version, body: JSON.stringify({ ...c.state, version }) };
    ops.push({
      group: 'state',
      ignorable: false,
      tx: c.expectedVersion === 0
        ? { Put: { TableName: T, Item: stateItem, ConditionExpression: 'attribute_not_exists(#pk)', ExpressionAttributeNames: { '#pk': PK } } }
        : { Put: { TableName: T, Item: stateItem, ConditionExpression: '#v = :expected', ExpressionAttributeNames: { '#v': 'version' }, ExpressionAttributeValues: { ':expected': c.expectedVersion } } },
    });
    const timeline: Op[] = [];
    if (c.opened) {
      const inc = c.opened;
      const openedAt = Date.parse(inc.openedAt);
      const body = JSON.stringify(inc);
      const sk = `${pad13(openedAt)}#${inc.id}`;
      const absent = { ConditionExpression: 'attribute_not_exists(#pk)', ExpressionAttributeNames: { '#pk': PK } };
      // An incident opened before stays as it was (SQLite: INSERT OR IGNORE), open marker included.
      for (const Item of [
        { [PK]: `incident#${inc.id}`, [SK]: 'incident', check: c.check, openedAt, body },
        { [PK]: 'incidents', [SK]: sk, check: c.check, body },
        { [PK]: `open#${c.check}`, [SK]: sk, body },
      ]) ops.push({ group: 'open', ignorable: true, tx: { Put: { TableName: T, Item, ...absent } } });
      // Lines of the check since the outage started (reactions before it was confirmed) join the incident.
      const from = c.outageStartedAt ?? c.at;
      const unattached = await this.queryAll({
        TableName: T,
        KeyConditionExpression: '#pk = :pk',
        FilterExpression: '#at >= :from',
        ExpressionAttributeNames: { '#pk': PK, '#at': 'at' },
        ExpressionAttributeValues: { ':pk': `unattached#${c.check}`, ':from': from },
        ConsistentRead: true,
      });
      for (const e of unattached) {
        const { [TTL]: _ttl, ...rest } = e;
        timeline.push({ group: 'timeline', ignorable: false, tx: { Put: { TableName: T, Item: { ...rest, [PK]: `timeline#${inc.id}`, incidentId: inc.id } } } });
        timeline.push({ group: 'timeline', ignorable: false, tx: { Delete: { TableName: T, Key: { [PK]: e[PK], [SK]: e[SK] } } } });
      }
      timeline.push(this.timelineOp({ check: c.check, incidentId: inc.id, at: c.at, kind: 'opened', detail: inc.reason }));
    }
    if (c.resolved) {
      const inc = c.resolved;
      const body = JSON.stringify(inc);
      const sk = `${pad13(Date.parse(inc.openedAt))}#${inc.id}`;
      const present = { ConditionExpression: 'attribute_exists(#pk)', ExpressionAttributeNames: { '#pk': PK, '#body': 'body' } };
      // Only an incident that exists is resolved (SQLite: UPDATE ... WHERE id = ?).
      ops.push({ group: 'resolve', ignorable: true, tx: { Update: { TableName: T, Key: { [PK]: `incident#${inc.id}`, [SK]: 'incident' }, UpdateExpression: 'SET #body = :body, resolvedAt = :r', ExpressionAttributeValues: { ':body': body, ':r': inc.resolvedAt ? Date.parse(inc.resolvedAt) : c.at }, ...present } } });
      ops.push({ group: 'resolve', ignorable: true, tx: { Update: { TableName: T, Key: { [PK]: 'incidents', [SK]: sk }, UpdateExpression: 'SET #body = :body', ExpressionAttributeValues: { ':body': body }, ...present } } });
      ops.push({ group: 'resolve', ignorable: true, tx: { Delete: { TableName: T, Key: { [PK]: `open#${c.check}`, [SK]: sk } } } });
      timeline.push(this.timelineOp({ check: c.check, incidentId: inc.id, at: c.at, kind: 'resolved', detail: `up again after ${inc.durationSeconds}s` }));
    }
    ops.push(...timeline);
    const seen = new Set<string>();
    for (const e of c.effects) {
      if (seen.has(e.key)) continue; // a transaction may not touch one item twice; the first one wins, as in SQLite
      seen.add(e.key);
      ops.push({ group: `effect:${e.key}`, ignorable: true, tx: { Put: this.outboxPut(e, c.at) } });
    }
    return ops;
  }

  /** A write that did not fit in the transaction, on its own; a failed condition means it is there already. */
  private async writeAlone(o: Op): Promise<void> {
    try {
      if (o.tx.Put) await this.client.send(new PutCommand(o.tx.Put));
      else if (o.tx.Delete) await this.client.send(new DeleteCommand(o.tx.Delete));
      else if (o.tx.Update) await this.client.send(new UpdateCommand(o.tx.Update));
    } catch (err) {
      if (!(o.ignorable && isConditionFailure(err))) throw err;
    }
  }

  // ---------------------------------------------------------------- outbox

  private outboxPut(e: Effect, at: number) {
    return {
      TableName: this.stateTable,
      Item: {
        [PK]: `outbox#${e.key}`, [SK]: OUTBOX_SK, key: e.key, effect: JSON.stringify(e), status: 'pending', attempts: 0,
        createdAt: at, nextAt: at, [DUE.partitionKey]: DUE_PENDING, [DUE.sortKey]: at,
      },
      ConditionExpression: 'attribute_not_exists(#pk)',
      ExpressionAttributeNames: { '#pk': PK },
    };
  }

  private outboxKey(key: string) {
    return { [PK]: `outbox#${key}`, [SK]: OUTBOX_SK };
  }

  private remember(key: string, dueAt: number): void {
    this.written.delete(key);
    this.written.set(key, dueAt);
    if (this.written.size > 1_000) this.written.delete(this.written.keys().next().value!);
  }

  /**
   * Oldest first, like SQLite, among the `limit` items due earliest: the index orders by due time,
   * so when more than `limit` are due, a retried item may wait behind newer first attempts.
   */
  async claimDue(now: number, limit: number, accept?: (effect: Effect) => boolean): Promise<OutboxItem[]> {
    if (limit <= 0) return [];
    const due = await this.queryAll({
      TableName: this.stateTable,
      IndexName: DUE.name,
      KeyConditionExpression: '#duePk = :pending AND #dueAt <= :now',
      ExpressionAttributeNames: { '#duePk': DUE.partitionKey, '#dueAt': DUE.sortKey },
      ExpressionAttributeValues: { ':pending': DUE_PENDING, ':now': now },
      Limit: 1,
    }, 1);
    // The index may lag a write this process just made.
    if (due.length === 0 && ![...this.written.values()].some((dueAt) => dueAt <= now)) return [];
    // Order groups need every unsettled item (pending later, or claimed): both partitions of the
    // sparse due index, which only holds unsettled items and projects them whole.
    const unsettled = (await Promise.all([DUE_PENDING, DUE_CLAIMED].map((p) => this.queryAll({
      TableName: this.stateTable,
      IndexName: DUE.name,
      KeyConditionExpression: '#duePk = :p',
      ExpressionAttributeNames: { '#duePk': DUE.partitionKey },
      ExpressionAttributeValues: { ':p': p },
    })))).flat();
    const seen = new Set(unsettled.map((i) => String(i[PK])));
    const missing = [...this.written].filter(([key, dueAt]) => dueAt <= now && !seen.has(`outbox#${key}`)).map(([key]) => this.outboxKey(key));
    if (missing.length > 0) unsettled.push(...(await this.batchGet(missing)).filter((i) => i.status === 'pending' || i.status === 'claimed'));
    const items = unsettled.map((i) => ({
      pk: String(i[PK]), key: String(i.key), effect: JSON.parse(String(i.effect)) as Effect, createdAt: Number(i.createdAt),
      status: i.status === 'claimed' ? 'claimed' as const : 'pending' as const, nextAt: Number(i.nextAt),
    }));
    const chosen = runnableItems(items, now, limit, accept).map((i) => i.pk);
    // The index is only a hint: the conditional update is the claim, so two claimers never both win.
    // Settled one by one: a claim won before another one throws is still returned (else it would
    // stay claimed, holding its order group, until the claim timeout).
    const outcomes = await Promise.allSettled(chosen.map(async (pk) => {
      this.written.delete(pk.slice('outbox#'.length));
      try {
        const out = await this.client.send(new UpdateCommand({
          TableName: this.stateTable,
          Key: { [PK]: pk, [SK]: OUTBOX_SK },
          UpdateExpression: 'SET #status = :claimed, #attempts = #attempts + :one, #duePk = :claimedPk, #dueAt = :now, claimedAt = :now',
          ConditionExpression: '#status = :pending AND #duePk = :pendingPk AND #dueAt <= :now',
          ExpressionAttributeNames: { '#status': 'status', '#attempts': 'attempts', '#duePk': DUE.partitionKey, '#dueAt': DUE.sortKey },
          ExpressionAttributeValues: { ':claimed': 'claimed', ':pending': 'pending', ':one': 1, ':claimedPk': DUE_CLAIMED, ':pendingPk': DUE_PENDING, ':now': now },
          ReturnValues: 'ALL_NEW',
        }));
        return out.Attributes ? toOutboxItem(out.Attributes) : undefined;
      } catch (err) {
        if (isConditionFailure(err)) return undefined; // someone else claimed (or settled) it first
        throw err;
      }
    }));
    const claimed = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
    const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (failed && claimed.every((c) => c === undefined)) throw failed.reason;
    return claimed
      .filter((c): c is OutboxItem => c !== undefined)
      .sort((a, b) => a.createdAt - b.createdAt || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async enqueue(effects: Effect[], at: number): Promise<void> {
    const first = new Map<string, Effect>(); // the first of each key wins, as in SQLite
    for (const e of effects) if (!first.has(e.key)) first.set(e.key, e);
    await mapLimit([...first.values()], 16, async (e) => {
      try {
        await this.client.send(new PutCommand(this.outboxPut(e, at)));
        this.remember(e.key, at);
      } catch (err) {
        if (!isConditionFailure(err)) throw err; // already enqueued (or already sent): ignored
      }
    });
  }

  /**
   * Every committed transition bumps a counter, so a state cache (state-cache.ts) and the routes can
   * tell that what they hold is stale. The counter is spread over EPOCH_SHARDS items and bumped
   * after the transaction, not in it: one item in every transaction made all of them conflict with
   * each other (an outage storm, or the first results after a deploy). A reader sees the bump only
   * after the state it announces. A bump that fails after the SDK's retries is dropped: the caches'
   * TTL bounds how long it can be missed.
   */
  private async bumpEpoch(check: string): Promise<void> {
    const shard = createHash('sha1').update(check).digest()[0]! % EPOCH_SHARDS;
    try {
      await this.client.send(new UpdateCommand({ TableName: this.stateTable, Key: { [PK]: 'meta', [SK]: `epoch#${shard}` }, UpdateExpression: 'ADD #n :one', ExpressionAttributeNames: { '#n': 'n' }, ExpressionAttributeValues: { ':one': 1 } }));
    } catch {
      // See above: the commit stands; only the cache hint is lost.
    }
  }

  /** The transition counter: the sum of its shards (and of the single item older versions kept); 0 before the first transition. */
  async stateEpoch(): Promise<number> {
    const Keys = ['epoch', ...Array.from({ length: EPOCH_SHARDS }, (_, i) => `epoch#${i}`)].map((sk) => ({ [PK]: 'meta', [SK]: sk }));
    let total = 0;
    let request: BatchGetCommandOutput['UnprocessedKeys'] = { [this.stateTable]: { Keys, ConsistentRead: true } };
    for (let attempt = 0; request && Object.keys(request).length > 0; attempt++) {
      if (attempt > 0) await sleep(20 * 2 ** Math.min(attempt, 6));
      const out: BatchGetCommandOutput = await this.client.send(new BatchGetCommand({ RequestItems: request }));
      for (const item of out.Responses?.[this.stateTable] ?? []) total += Number(item.n ?? 0);
      request = out.UnprocessedKeys;
    }
    return total;
  }

  async complete(key: string, at: number): Promise<void> {
    this.written.delete(key);
    await this.settle(key, 'SET #status = :done, settledAt = :at, #ttl = :ttl REMOVE lastError, #duePk, #dueAt', {
      ':done': 'done', ':at': at, ':ttl': ttlSeconds(at + this.retentionMs),
    }, { '#ttl': TTL });
  }

  async retryLater(key: string, error: string, nextAt: number): Promise<void> {
    this.remember(key, nextAt);
    await this.settle(key, 'SET #status = :pending, nextAt = :next, lastError = :error, #duePk = :pendingPk, #dueAt = :next REMOVE #ttl', {
      ':pending': 'pending', ':next': nextAt, ':error': error, ':pendingPk': DUE_PENDING,
    }, { '#ttl': TTL });
  }

  async giveUp(key: string, error: string, at: number): Promise<void> {
    this.written.delete(key);
    await this.settle(key, 'SET #status = :dead, settledAt = :at, lastError = :error, #ttl = :ttl REMOVE #duePk, #dueAt', {
      ':dead': 'dead', ':at': at, ':error': error, ':ttl': ttlSeconds(at + this.retentionMs),
    }, { '#ttl': TTL });
  }

  /** Update an existing outbox item; an unknown key changes nothing (SQLite: UPDATE ... WHERE key = ?). */
  private async settle(key: string, update: string, values: Record<string, unknown>, names: Record<string, string> = {}): Promise<void> {
    try {
      await this.client.send(new UpdateCommand({
        TableName: this.stateTable,
        Key: this.outboxKey(key),
        UpdateExpression: update,
        // A settled item stays settled: a late retryLater must not send (or run) it again.
        ConditionExpression: 'attribute_exists(#pk) AND #status <> :settledDone AND #status <> :settledDead',
        ExpressionAttributeNames: { '#pk': PK, '#status': 'status', '#duePk': DUE.partitionKey, '#dueAt': DUE.sortKey, ...names },
        ExpressionAttributeValues: { ...values, ':settledDone': 'done', ':settledDead': 'dead' },
      }));
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
    }
  }

  /**
   * Items left claimed: a Query on the `claimed` partition of the due index (no Scan), then the items
   * themselves (the index may project keys only). Only claims older than `claimTimeoutMs`.
   */
  async recoverInterrupted(): Promise<OutboxItem[]> {
    const timedOut = this.claimTimeoutMs > 0;
    const keys = await this.queryAll({
      TableName: this.stateTable,
      IndexName: DUE.name,
      KeyConditionExpression: timedOut ? '#duePk = :claimed AND #dueAt <= :before' : '#duePk = :claimed',
      ExpressionAttributeNames: { '#duePk': DUE.partitionKey, ...(timedOut ? { '#dueAt': DUE.sortKey } : {}) },
      ExpressionAttributeValues: { ':claimed': DUE_CLAIMED, ...(timedOut ? { ':before': this.clock.now() - this.claimTimeoutMs } : {}) },
    });
    const items = await this.batchGet(keys.map((k) => ({ [PK]: k[PK], [SK]: k[SK] })));
    return items
      .filter((i) => i.status === 'claimed')
      .map(toOutboxItem)
      .sort((a, b) => a.createdAt - b.createdAt || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /** Pending and claimed items (both still to settle): two COUNT queries on the sparse due index. */
  async pendingCount(): Promise<number> {
    const counts = await Promise.all([DUE_PENDING, DUE_CLAIMED].map(async (p) => {
      let n = 0;
      let start: Record<string, unknown> | undefined;
      do {
        const page = await this.client.send(new QueryCommand({
          TableName: this.stateTable,
          IndexName: DUE.name,
          KeyConditionExpression: '#duePk = :p',
          ExpressionAttributeNames: { '#duePk': DUE.partitionKey },
          ExpressionAttributeValues: { ':p': p },
          Select: 'COUNT',
          ExclusiveStartKey: start,
        }));
        n += page.Count ?? 0;
        start = page.LastEvaluatedKey;
      } while (start);
      return n;
    }));
    return counts[0]! + counts[1]!;
  }

  // ---------------------------------------------------------------- incidents

  async listIncidents(limit: number): Promise<Incident[]> {
    if (limit <= 0) return [];
    const items = await this.queryAll({
      TableName: this.stateTable,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': PK },
      ExpressionAttributeValues: { ':pk': 'incidents' },
      ScanIndexForward: false,
      Limit: limit,
    }, limit);
    return items.slice(0, limit).map((i) => JSON.parse(String(i.body)) as Incident);
  }

  async getIncident(id: string): Promise<Incident | undefined> {
    const out = await this.client.send(new GetCommand({ TableName: this.stateTable, Key: { [PK]: `incident#${id}`, [SK]: 'incident' }, ConsistentRead: true }));
    return out.Item ? (JSON.parse(String(out.Item.body)) as Incident) : undefined;
  }

  async openIncident(check: string): Promise<Incident | undefined> {
    const out = await this.client.send(new QueryCommand({
      TableName: this.stateTable,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': PK },
      ExpressionAttributeValues: { ':pk': `open#${check}` },
      ScanIndexForward: false,
      Limit: 1,
      ConsistentRead: true,
    }));
    const item = out.Items?.[0];
    return item ? (JSON.parse(String(item.body)) as Incident) : undefined;
  }

  /** In the order the lines were written (SQLite: by rowid). */
  async timeline(incidentId: string): Promise<TimelineEntry[]> {
    const items = await this.queryAll({
      TableName: this.stateTable,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': PK },
      ExpressionAttributeValues: { ':pk': `timeline#${incidentId}` },
      ConsistentRead: true,
    });
    return items.map((i) => ({ check: String(i.check), incidentId, at: Number(i.at), kind: i.kind as TimelineEntry['kind'], detail: String(i.detail) }));
  }

  async addTimeline(e: TimelineEntry): Promise<void> {
    await this.client.send(new PutCommand(this.timelineOp(e).tx.Put!));
  }

  private timelineOp(e: TimelineEntry): Op {
    const attached = e.incidentId !== null;
    const Item: Item = {
      [PK]: attached ? `timeline#${e.incidentId}` : `unattached#${e.check}`,
      [SK]: stampKey(nextStamp()),
      check: e.check, at: e.at, kind: e.kind, detail: e.detail,
      ...(attached ? { incidentId: e.incidentId } : { [TTL]: ttlSeconds(e.at + this.retentionMs) }),
    };
    return { group: 'timeline', ignorable: false, tx: { Put: { TableName: this.stateTable, Item } } };
  }

  // ---------------------------------------------------------------- heartbeats, watch starts, memos

  async recordPing(check: string, at: number): Promise<void> {
    await this.putIfNewer('pings', check, { at }, '#at < :at');
  }

  async lastPings(): Promise<Map<string, number>> {
    const items = await this.partition('pings');
    return new Map(items.map((i) => [String(i[SK]), Number(i.at)]));
  }

  async recordPingFailure(check: string, at: number, message: string): Promise<void> {
    await this.putIfNewer('ping-failures', check, { at, message }, '#at <= :at');
  }

  async lastPingFailures(): Promise<Map<string, { at: number; message: string }>> {
    const items = await this.partition('ping-failures');
    return new Map(items.map((i) => [String(i[SK]), { at: Number(i.at), message: String(i.message) }]));
  }

  /** Put unless the stored item is newer; an older write arriving late changes nothing. */
  private async putIfNewer(pk: string, check: string, fields: { at: number; message?: string }, newer: string): Promise<void> {
    try {
      await this.client.send(new PutCommand({
        TableName: this.stateTable,
        Item: { [PK]: pk, [SK]: check, ...fields },
        ConditionExpression: `attribute_not_exists(#pk) OR ${newer}`,
        ExpressionAttributeNames: { '#pk': PK, '#at': 'at' },
        ExpressionAttributeValues: { ':at': fields.at },
      }));
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
    }
  }

  /** One Query, then a conditional put only for checks not seen before (a steady call writes nothing). */
  async watchStart(checks: string[], now: number): Promise<Map<string, number>> {
    const watched = new Map((await this.partition('watched')).map((i) => [String(i[SK]), Number(i.since)]));
    const missing = [...new Set(checks)].filter((c) => !watched.has(c));
    await mapLimit(missing, 16, async (check) => {
      try {
        await this.client.send(new PutCommand({
          TableName: this.stateTable,
          Item: { [PK]: 'watched', [SK]: check, since: now },
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': PK },
        }));
        watched.set(check, now);
      } catch (err) {
        if (!isConditionFailure(err)) throw err;
        const out = await this.client.send(new GetCommand({ TableName: this.stateTable, Key: { [PK]: 'watched', [SK]: check }, ConsistentRead: true }));
        watched.set(check, Number(out.Item?.since ?? now)); // another process recorded it first
      }
    });
    return watched;
  }

  async saveMemo(check: string, reaction: string, memo: unknown): Promise<void> {
    await this.client.send(new PutCommand({ TableName: this.stateTable, Item: { [PK]: `memo#${check}`, [SK]: reaction, memo: JSON.stringify(memo ?? null) } }));
  }

  async loadMemo(check: string, reaction: string): Promise<unknown> {
    const out = await this.client.send(new GetCommand({ TableName: this.stateTable, Key: { [PK]: `memo#${check}`, [SK]: reaction }, ConsistentRead: true }));
    return out.Item ? JSON.parse(String(out.Item.memo)) : undefined;
  }

  /** The client belongs to the caller. */
  close(): void {}

  // ---------------------------------------------------------------- helpers

  private partition(pk: string): Promise<Item[]> {
    return this.queryAll({
      TableName: this.stateTable,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': PK },
      ExpressionAttributeValues: { ':pk': pk },
      ConsistentRead: true,
    });
  }

  /** Every page of a Query (each is at most 1 MB), or until `max` items. */
  private async queryAll(input: QueryCommandInput, max = Infinity): Promise<Item[]> {
    const items: Item[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(new QueryCommand({ ...input, ExclusiveStartKey: start }));
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start && items.length < max);
    return items;
  }

  private async batchGet(keys: Item[]): Promise<Item[]> {
    const items: Item[] = [];
    for (let i = 0; i < keys.length; i += 100) {
      let request: Item[] | undefined = keys.slice(i, i + 100);
      for (let attempt = 0; request && request.length > 0; attempt++) {
        if (attempt > 0) await sleep(Math.min(1_000, 25 * 2 ** attempt));
        const out: BatchGetCommandOutput = await this.client.send(new BatchGetCommand({ RequestItems: { [this.stateTable]: { Keys: request, ConsistentRead: true } } }));
        items.push(...(out.Responses?.[this.stateTable] ?? []));
        request = out.UnprocessedKeys?.[this.stateTable]?.Keys;
      }
    }
    return items;
  }
}

// ------------------------------------------------------------------ results encoding

/**
 * One result as a JSON tuple: [check, region (0 = the item's region `g`), `b` minus at, ok (1/0),
 * latencyMs, reason, attempts, traceId, timings, pushed (1), `b` minus seq], trailing nulls trimmed.
 */
type ResultTuple = [string, string | 0, number, 0 | 1, number, string, ...unknown[]];

function encodeTuple(r: ProbeResult, g: string, base: number): ResultTuple {
  const tail: unknown[] = [r.attempts ?? null, r.traceId ?? null, r.timings ?? null, r.pushed ? 1 : null, r.seq !== undefined ? base - r.seq : null];
  while (tail.length > 0 && tail[tail.length - 1] === null) tail.pop();
  return [r.check, r.region === g ? 0 : r.region, base - r.at, r.ok ? 1 : 0, Math.round(r.latencyMs * 10) / 10, r.reason, ...tail];
}

function decodeTuple(t: unknown[], g: string, base: number): ProbeResult {
  const [check, region, ago, ok, latencyMs, reason, attempts, traceId, timings, pushed, seqAgo] = t as [string, string | 0, number, number, number, string, number | null, string | null, ProbeResult['timings'] | null, number | null, number | null];
  return {
    check,
    region: region === 0 ? g : region,
    at: base - ago,
    ok: ok === 1,
    latencyMs,
    reason,
    ...(attempts !== null && attempts !== undefined ? { attempts } : {}),
    ...(traceId !== null && traceId !== undefined ? { traceId } : {}),
    ...(timings !== null && timings !== undefined ? { timings } : {}),
    ...(pushed === 1 ? { pushed: true } : {}),
    ...(seqAgo !== null && seqAgo !== undefined ? { seq: base - seqAgo } : {}),
  };
}

/** The Results items for one batch: normally one; a batch too large for one item is split. */
export function encodeResultsItems(results: ProbeResult[], region: string | undefined, retentionMs: number): Item[] {
  const g = region ?? results[0]!.region;
  const base = Math.max(...results.map((r) => r.at));
  const json = JSON.stringify(results.map((r) => encodeTuple(r, g, base)));
  const big = Buffer.byteLength(json) > COMPRESS_ABOVE_BYTES;
  const payload = big ? deflateRawSync(json) : json;
  const size = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength;
  if (size > MAX_RESULTS_PAYLOAD_BYTES && results.length > 1) {
    const half = Math.ceil(results.length / 2);
    return [...encodeResultsItems(results.slice(0, half), region, retentionMs), ...encodeResultsItems(results.slice(half), region, retentionMs)];
  }
  // The key is derived from the content, so the same batch written twice lands on the same item.
  const hash = createHash('sha1').update(json).digest('hex').slice(0, 12);
  return [{
    [RESULTS_TABLE.partitionKey]: hourKey(base),
    [RESULTS_TABLE.sortKey]: `${pad13(base)}#${g}#${hash}`,
    v: 1,
    g,
    b: base,
    n: results.length,
    ...(typeof payload === 'string' ? { r: payload } : { z: new Uint8Array(payload) }),
    w: nextStamp(),
    [RESULTS_TABLE.ttlAttribute]: ttlSeconds(base + retentionMs),
  }];
}

/** The results in a Results item as the document client returns it. */
export function decodeResultsItem(item: Record<string, unknown>): ProbeResult[] {
  const g = String(item.g);
  const base = Number(item.b);
  const z = item.z;
  const json = z !== undefined
    ? inflateRawSync(typeof z === 'string' ? Buffer.from(z, 'base64') : Buffer.from(z as Uint8Array)).toString('utf8')
    : String(item.r ?? '[]');
  return (JSON.parse(json) as unknown[][]).map((t) => decodeTuple(t, g, base));
}

/** A DynamoDB Streams record as Lambda delivers it (attribute values in the wire format; binary as base64). */
export interface ResultsStreamRecord {
  eventName?: string;
  dynamodb?: { NewImage?: Record<string, { S?: string; N?: string; B?: string | Uint8Array }> };
}

/** The results of a Results table stream record (INSERT or MODIFY); none for a REMOVE (TTL expiry). */
export function decodeResultsRecord(record: ResultsStreamRecord): ProbeResult[] {
  const image = record.dynamodb?.NewImage;
  if (record.eventName === 'REMOVE' || !image || image.b?.N === undefined) return [];
  return decodeResultsItem({ g: image.g?.S, b: Number(image.b.N), r: image.r?.S, z: image.z?.B });
}

// ------------------------------------------------------------------ small helpers

function toState(item: Item): CheckState {
  return { ...(JSON.parse(String(item.body)) as CheckState), version: Number(item.version) };
}

function toOutboxItem(item: Item): OutboxItem {
  return { key: String(item.key), effect: JSON.parse(String(item.effect)) as Effect, attempts: Number(item.attempts), createdAt: Number(item.createdAt) };
}

function newestFirst(results: ProbeResult[]): ProbeResult[] {
  return results.sort((a, b) => b.at - a.at);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function mapLimit<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
