/**
 * The local store against a real SQLite file: optimistic commits, incidents and timelines, the
 * outbox (claim, retry, recover after a crash), results, pings, and surviving a restart.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../shared/adapters/local/sqlite-store.ts';
import type { CheckState, Effect, Incident, ProbeResult } from '../../shared/types.ts';

const CHECK = 'checkout/api';
const T0 = Date.parse('2026-11-22T03:00:00.000Z');

let dir: string;
let file: string;
let store: SqliteStore;
const opened: SqliteStore[] = [];

function open(): SqliteStore {
  const s = new SqliteStore(file);
  opened.push(s);
  return s;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pagerless-store-'));
  file = join(dir, 'data', 'pagerless.db');
  store = open();
});

afterEach(() => {
  for (const s of opened.splice(0)) s.close();
  rmSync(dir, { recursive: true, force: true });
});

function state(version: number, status: 'up' | 'down', incident: Incident | null = null): CheckState {
  return {
    check: CHECK,
    version,
    regions: { local: { status, failures: status === 'down' ? 2 : 0, successes: status === 'up' ? 1 : 0, since: T0, at: T0 } },
    incident,
    reactions: {},
  };
}

function incident(id: string, openedAt: number, reason = 'status 500 does not match 2xx'): Incident {
  return {
    id,
    check: CHECK,
    service: 'checkout',
    group: null,
    severity: 'critical',
    openedAt: new Date(openedAt).toISOString(),
    resolvedAt: null,
    durationSeconds: null,
    reason,
    regions: { local: 'down' },
  };
}

function resolve(i: Incident, at: number): Incident {
  return { ...i, resolvedAt: new Date(at).toISOString(), durationSeconds: Math.round((at - Date.parse(i.openedAt)) / 1000), regions: { local: 'up' } };
}

function notifyEffect(key: string, inc: Incident, event: 'incident.opened' | 'incident.resolved' = 'incident.opened'): Effect {
  return { kind: 'notify', key, channel: `team-${key}`, payload: { event, incident: inc } };
}

function reactEffect(key: string, inc: Incident | null): Effect {
  return { kind: 'react', key, reaction: 'restart-app', check: CHECK, incident: inc, decision: 'run', why: '2 consecutive failed rounds', announceTo: ['team'] };
}

function result(check: string, region: string, at: number, ok = true, extra: Partial<ProbeResult> = {}): ProbeResult {
  return { check, region, at, ok, latencyMs: 12.3, reason: ok ? 'status 200' : 'status 500 does not match 2xx', ...extra };
}

describe('state commits', () => {
  it('inserts at version 1, then updates to version 2', async () => {
    expect(await store.getState(CHECK)).toBeUndefined();
    expect(await store.commit({ check: CHECK, expectedVersion: 0, state: state(0, 'up'), effects: [], at: T0 })).toBe(true);
    expect(await store.getState(CHECK)).toEqual(state(1, 'up'));

    expect(await store.commit({ check: CHECK, expectedVersion: 1, state: state(1, 'down'), effects: [], at: T0 + 1 })).toBe(true);
    const after = await store.getState(CHECK);
    expect(after?.version).toBe(2);
    expect(after?.regions.local?.status).toBe('down');
    expect(await store.listStates()).toEqual([after]);
  });

  it('refuses a stale expectedVersion and writes nothing: no state change, no incident, no outbox rows', async () => {
    await store.commit({ check: CHECK, expectedVersion: 0, state: state(0, 'up'), effects: [], at: T0 });
    await store.commit({ check: CHECK, expectedVersion: 1, state: state(1, 'up'), effects: [], at: T0 + 1 });
    const inc = incident('checkout.api.a', T0 + 2);

    const stale = await store.commit({
      check: CHECK,
      expectedVersion: 1,
      state: state(1, 'down', inc),
      opened: inc,
      effects: [notifyEffect(`${inc.id}:incident.opened:team`, inc), reactEffect(`${CHECK}:restart-app:${T0 + 2}`, inc)],
      at: T0 + 2,
    });
    expect(stale).toBe(false);
    expect(await store.getState(CHECK)).toEqual(state(2, 'up'));
    expect(await store.listIncidents(10)).toEqual([]);
    expect(await store.getIncident(inc.id)).toBeUndefined();
    expect(await store.timeline(inc.id)).toEqual([]);
    expect(await store.pendingCount()).toBe(0);
    expect(await store.claimDue(T0 + 10_000, 10)).toEqual([]);
  });

  it('refuses a second insert of the same check (two writers both starting from nothing)', async () => {
    expect(await store.commit({ check: CHECK, expectedVersion: 0, state: state(0, 'up'), effects: [], at: T0 })).toBe(true);
    const inc = incident('checkout.api.b', T0 + 1);
    const second = await store.commit({ check: CHECK, expectedVersion: 0, state: state(0, 'down', inc), opened: inc, effects: [notifyEffect('k1', inc)], at: T0 + 1 });
    expect(second).toBe(false);
    expect(await store.getState(CHECK)).toEqual(state(1, 'up'));
    expect(await store.listIncidents(10)).toEqual([]);
    expect(await store.pendingCount()).toBe(0);
  });

  it('ignores an effect whose key is already in the outbox (idempotent enqueue)', async () => {
    const inc = incident('checkout.api.c', T0);
    const key = `${inc.id}:incident.opened:team`;
    await store.commit({ check: CHECK, expectedVersion: 0, state: state(0, 'down', inc), opened: inc, effects: [notifyEffect(key, inc)], at: T0 });
    // A re-delivered result produces the same effect again, with a different payload this time.
    const changed = { ...inc, reason: 'a different reason' };
    await store.commit({ check: CHECK, expectedVersion: 1, state: state(1, 'down', inc), effects: [notifyEffect(key, changed)], at: T0 + 1 });
    await store.enqueue([notifyEffect(key, changed)], T0 + 2);
    expect(await store.pendingCount()).toBe(1);
    const claimed = await store.claimDue(T0 + 10, 10);
    expect(claimed).toHaveLength(1);
    expect(claimed[0]!.key).toBe(key);
    expect(claimed[0]!.effect).toEqual(notifyEffect(key, inc));

    // Once sent, the same key enqueued again is still not due: it is never sent twice.
    await store.complete(key, T0 + 20);
    await store.enqueue([notifyEffect(key, inc)], T0 + 30);
    await store.commit({ check: CHECK, expectedVersion: 2, state: state(2, 'down', inc), effects: [notifyEffect(key, inc)], at: T0 + 40 });
    expect(await store.claimDue(T0 + 1_000, 10)).toEqual([]);
    expect(await store.pendingCount()).toBe(0);
  });
});

describe('incidents and timelines', () => {
  it('lists opened and resolved incidents newest first, each with its timeline', async () => {
    const first = incident('checkout.api.first', T0, 'status 500 does not match 2xx');
    const second = incident('checkout.api.second', T0 + 600_000, 'connection refused by 10.0.0.1:443');

    // A reaction that ran in the outage before it was confirmed belongs to that incident; one from an
    // earlier blip that never became an incident does not.
    await store.addTimeline({ check: CHECK, incidentId: null, at: T0 - 60_000, kind: 'reaction', detail: 'restart-app (webhook) executed after a blip' });
    await store.addTimeline({ check: CHECK, incidentId: null, at: T0 - 1_000, kind: 'reaction', detail: 'restart-app (webhook) executed' });
    await store.commit({ check: CHECK, expectedVersion: 0, state: state(0, 'down', first), opened: first, outageStartedAt: T0 - 2_000, effects: [], at: T0 });
    await store.addTimeline({ check: CHECK, incidentId: first.id, at: T0 + 5, kind: 'notified', detail: 'incident.opened sent to team' });
    const firstResolved = resolve(first, T0 + 90_000);
    await store.commit({ check: CHECK, expectedVersion: 1, state: state(1, 'up'), resolved: firstResolved, effects: [], at: T0 + 90_000 });
    await store.commit({ check: CHECK, expectedVersion: 2, state: state(2, 'down', second), opened: second, effects: [], at: T0 + 600_000 });

    const list = await store.listIncidents(10);
    expect(list.map((i) => i.id)).toEqual([second.id, first.id]);
    expect(list[0]).toEqual(second);
    expect(list[1]).toEqual(firstResolved);
    expect(list[1]!.durationSeconds).toBe(90);
    expect(await store.listIncidents(1)).toEqual([second]);
    expect(await store.getIncident(first.id)).toEqual(firstResolved);

    expect((await store.timeline(first.id)).map((e) => [e.kind, e.detail, e.at])).toEqual([
      ['reaction', 'restart-app (webhook) executed', T0 - 1_000],
      ['opened', 'status 500 does not match 2xx', T0],
      ['notified', 'incident.opened sent to team', T0 + 5],
      ['resolved', 'up again after 90s', T0 + 90_000],
    ]);
    const secondTimeline = await store.timeline(second.id);
    expect(secondTimeline).toEqual([
      { check: CHECK, incidentId: second.id, at: T0 + 600_000, kind: 'opened', detail: 'connection refused by 10.0.0.1:443' },
    ]);
  });

  it('keeps an incident once opened when the same opening is committed again', async () => {
    const inc = incident('checkout.api.dup', T0);
    await store.commit({ check: CHECK, expectedVersion: 0, state: state(0, 'down', inc), opened: inc, effects: [], at: T0 });
    await store.commit({ check: CHECK, expectedVersion: 1, state: state(1, 'down', inc), opened: { ...inc, reason: 'other' }, effects: [], at: T0 + 1 });
    expect(await store.listIncidents(10)).toEqual([inc]);
  });
});

describe('outbox from a database made before order groups were indexed', () => {
  it('adds the column, fills it for items still to run, and keeps their order', async () => {
    store.close();
    opened.length = 0;
    rmSync(dir, { recursive: true, force: true });
    // The outbox as earlier versions created it: no `grp` column.
    const Database = (await import('better-sqlite3')).default;
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(dir, 'data'), { recursive: true });
    const old = new Database(file);
    old.exec(`CREATE TABLE outbox (key TEXT PRIMARY KEY, effect TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
      created_at INTEGER NOT NULL, next_at INTEGER NOT NULL, settled_at INTEGER, last_error TEXT)`);
    const incident = { id: 'checkout.api.1', check: CHECK, service: 'checkout', group: null, severity: 'critical', openedAt: new Date(T0).toISOString(), resolvedAt: null, durationSeconds: null, reason: 'x', regions: {} };
    const put = old.prepare("INSERT INTO outbox (key, effect, status, created_at, next_at) VALUES (?, ?, 'pending', ?, ?)");
    // The resolution is older by the wall clock than the opening (a clock stepped back): insertion order rules.
    put.run('o', JSON.stringify({ kind: 'notify', key: 'o', channel: 'team', payload: { event: 'incident.opened', incident } }), T0 + 5_000, T0);
    put.run('r', JSON.stringify({ kind: 'notify', key: 'r', channel: 'team', payload: { event: 'incident.resolved', incident } }), T0, T0);
    old.close();
    store = open();
    expect((await store.claimDue(T0 + 10_000, 10)).map((i) => i.key)).toEqual(['o']);
    await store.complete('o', T0 + 10_000);
    expect((await store.claimDue(T0 + 10_000, 10)).map((i) => i.key)).toEqual(['r']);
  });
});

describe('outbox', () => {
  const inc = incident('checkout.api.o', T0);

  it('claims due items once, oldest first, up to the limit', async () => {
    await store.enqueue([notifyEffect('b-second', inc)], T0 + 2);
    await store.enqueue([notifyEffect('a-first', inc)], T0 + 1);
    await store.enqueue([notifyEffect('c-future', inc)], T0 + 60_000);

    const one = await store.claimDue(T0 + 10, 1);
    expect(one.map((i) => [i.key, i.attempts, i.createdAt])).toEqual([['a-first', 1, T0 + 1]]);
    const rest = await store.claimDue(T0 + 10, 10);
    expect(rest.map((i) => i.key)).toEqual(['b-second']);
    expect(rest[0]!.effect).toEqual(notifyEffect('b-second', inc));
    expect(await store.claimDue(T0 + 10, 10)).toEqual([]);
    // Claimed items still count as pending until settled; the future one is not due yet.
    expect(await store.pendingCount()).toBe(3);
  });

  it('claims an item once even across two connections to the same file', async () => {
    const other = open();
    await store.enqueue([notifyEffect('shared', inc)], T0);
    expect((await other.claimDue(T0, 10)).map((i) => i.key)).toEqual(['shared']);
    expect(await store.claimDue(T0, 10)).toEqual([]);
    expect(await other.claimDue(T0, 10)).toEqual([]);
  });

  it('makes a settled item disappear from the pending count', async () => {
    await store.enqueue([notifyEffect('done', inc), notifyEffect('dead', inc)], T0);
    await store.claimDue(T0, 10);
    await store.complete('done', T0 + 1);
    await store.giveUp('dead', 'answered 400', T0 + 1);
    expect(await store.pendingCount()).toBe(0);
    expect(await store.claimDue(T0 + 1_000_000, 10)).toEqual([]);
    expect(await store.recoverInterrupted()).toEqual([]);
  });

  it('retryLater makes an item due again only at nextAt, with its attempts counted', async () => {
    await store.enqueue([notifyEffect('k', inc)], T0);
    const [first] = await store.claimDue(T0, 10);
    expect(first?.attempts).toBe(1);
    await store.retryLater('k', 'answered 503', T0 + 5_000);
    expect(await store.claimDue(T0 + 4_999, 10)).toEqual([]);
    const again = await store.claimDue(T0 + 5_000, 10);
    expect(again.map((i) => [i.key, i.attempts])).toEqual([['k', 2]]);
    expect(await store.claimDue(T0 + 5_000, 10)).toEqual([]);
  });

  it('returns items a crashed process left claimed after the file is reopened', async () => {
    await store.enqueue([notifyEffect('n-claimed', inc), reactEffect('r-claimed', inc), notifyEffect('n-done', inc)], T0);
    await store.claimDue(T0, 10);
    await store.complete('n-done', T0 + 1);
    await store.enqueue([notifyEffect('n-pending', inc)], T0 + 2);
    // The process dies here: nothing else is settled.
    store.close();

    const reopened = open();
    const recovered = await reopened.recoverInterrupted();
    expect(recovered.map((i) => i.key).sort()).toEqual(['n-claimed', 'r-claimed']);
    expect(recovered.find((i) => i.key === 'r-claimed')).toEqual({ key: 'r-claimed', effect: reactEffect('r-claimed', inc), attempts: 1, createdAt: T0 });
    // Pending items are not "interrupted"; they are simply due.
    expect((await reopened.claimDue(T0 + 10, 10)).map((i) => i.key)).toEqual(['n-pending']);
  });
});

describe('results', () => {
  it('returns the newest result of every (check, region), with every field', async () => {
    await store.appendResults([
      result('a/x', 'local', T0 + 1, false),
      result('a/x', 'local', T0 + 3, true, { attempts: 2, traceId: 'abc123', timings: { connect: 1.2, firstByte: 4.5, total: 6.7 } }),
      result('a/x', 'local', T0 + 2, false),
      result('a/x', 'push', T0 + 1, false, { reason: 'pushed down' }),
      result('b/y', 'local', T0 + 5, true),
      result('b/y', 'local', T0 + 4, false),
    ]);
    const latest = await store.latestResults();
    const byKey = new Map(latest.map((r) => [`${r.check} ${r.region}`, r]));
    expect(latest).toHaveLength(3);
    expect(byKey.get('a/x local')).toEqual({
      check: 'a/x', region: 'local', at: T0 + 3, ok: true, latencyMs: 12.3, reason: 'status 200',
      attempts: 2, traceId: 'abc123', timings: { connect: 1.2, firstByte: 4.5, total: 6.7 },
    });
    expect(byKey.get('a/x push')).toMatchObject({ at: T0 + 1, ok: false, reason: 'pushed down' });
    expect(byKey.get('b/y local')).toMatchObject({ at: T0 + 5, ok: true });
    expect((await store.recentResults('a/x', 2)).map((r) => r.at)).toEqual([T0 + 3, T0 + 2]);
  });

  // Regression: joining on MAX(at) returned both results of one (check, region) that shared the
  // newest `at` (two pushed hooks in one millisecond).
  it('returns one result per (check, region) even when two share the newest timestamp', async () => {
    await store.appendResults([
      result('a/x', 'push', T0, false, { reason: 'pushed down' }),
      result('a/x', 'push', T0, true, { reason: 'pushed up' }),
    ]);
    const latest = await store.latestResults();
    expect(latest).toHaveLength(1);
    expect(latest[0]).toMatchObject({ check: 'a/x', region: 'push', at: T0, ok: true, reason: 'pushed up' });
  });

  it('prunes results older than the cut-off and keeps the rest and the unsettled outbox', async () => {
    await store.appendResults([result('a/x', 'local', T0 + 100), result('a/x', 'local', T0 + 200), result('a/x', 'local', T0 + 300)]);
    await store.enqueue([notifyEffect('still-pending', incident('i', T0))], T0);
    expect(await store.pruneResults(T0 + 250)).toBe(2);
    expect((await store.recentResults('a/x', 10)).map((r) => r.at)).toEqual([T0 + 300]);
    expect((await store.latestResults()).map((r) => r.at)).toEqual([T0 + 300]);
    expect(await store.pruneResults(T0 + 250)).toBe(0);
    expect(await store.pendingCount()).toBe(1);
  });
});

describe('surviving a restart', () => {
  it('keeps state, incidents, timeline, results, pings and watch starts across close and reopen', async () => {
    const inc = incident('checkout.api.r', T0);
    await store.commit({ check: CHECK, expectedVersion: 0, state: state(0, 'down', inc), opened: inc, effects: [notifyEffect('k', inc)], at: T0 });
    await store.appendResults([result(CHECK, 'local', T0, false)]);
    await store.recordPing('jobs/backup', T0 + 200);
    await store.recordPing('jobs/backup', T0 + 150); // an older ping arriving late does not move it back
    expect(await store.watchStart([CHECK, 'jobs/backup'], T0)).toEqual(new Map([[CHECK, T0], ['jobs/backup', T0]]));
    store.close();

    const reopened = open();
    expect(await reopened.getState(CHECK)).toEqual(state(1, 'down', inc));
    expect(await reopened.listIncidents(10)).toEqual([inc]);
    expect((await reopened.timeline(inc.id)).map((e) => e.kind)).toEqual(['opened']);
    expect((await reopened.latestResults()).map((r) => [r.check, r.at, r.ok])).toEqual([[CHECK, T0, false]]);
    expect(await reopened.lastPings()).toEqual(new Map([['jobs/backup', T0 + 200]]));
    // Known checks keep their first watch time; a new one starts now.
    expect(await reopened.watchStart([CHECK, 'new/check'], T0 + 9_000)).toEqual(new Map([[CHECK, T0], ['jobs/backup', T0], ['new/check', T0 + 9_000]]));
    expect((await reopened.claimDue(T0, 10)).map((i) => i.key)).toEqual(['k']);
    // The version continues from the stored one: a writer that read version 1 commits.
    expect(await reopened.commit({ check: CHECK, expectedVersion: 1, state: state(1, 'up'), resolved: resolve(inc, T0 + 60_000), effects: [], at: T0 + 60_000 })).toBe(true);
    expect((await reopened.getState(CHECK))?.version).toBe(2);
  });
});
