/**
 * The engine store's contract: one suite, run against every EngineStore (SQLite locally, DynamoDB on
 * AWS), so both keep the behaviour the engine relies on — versioned commits that write all or
 * nothing, idempotent effects, incidents and their timelines, the outbox's claims, results, pings.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EngineStore } from '../../shared/ports.ts';
import type { CheckState, Effect, Incident, ProbeResult } from '../../shared/types.ts';

export interface StoreUnderTest {
  store: EngineStore;
  close(): Promise<void>;
}

const CHECK = 'checkout/api';
const OTHER = 'billing/db';
/** Outbox, incident and timeline times are arbitrary; results use the real clock (see `recentNow`). */
const T0 = Date.parse('2026-11-22T03:00:00.000Z');

function state(version: number, status: 'up' | 'down', incident: Incident | null = null, check = CHECK): CheckState {
  return {
    check,
    version,
    regions: { local: { status, failures: status === 'down' ? 2 : 0, successes: status === 'up' ? 1 : 0, since: T0, at: T0 } },
    incident,
    reactions: {},
  };
}

function incident(id: string, openedAt: number, reason = 'status 500 does not match 2xx', check = CHECK): Incident {
  return {
    id,
    check,
    service: check.split('/')[0]!,
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

/** Each key its own channel by default: items of one incident and channel are delivered one at a time (tested below). */
function notifyEffect(key: string, inc: Incident, event: 'incident.opened' | 'incident.resolved' = 'incident.opened', channel = `team-${key}`): Effect {
  return { kind: 'notify', key, channel, payload: { event, incident: inc } };
}

function reactEffect(key: string, inc: Incident | null): Effect {
  return { kind: 'react', key, reaction: 'restart-app', check: CHECK, incident: inc, decision: 'run', why: '2 consecutive failed rounds', announceTo: ['team'] };
}

function result(check: string, region: string, at: number, ok = true, extra: Partial<ProbeResult> = {}): ProbeResult {
  return { check, region, at, ok, latencyMs: 12.3, reason: ok ? 'status 200' : 'status 500 does not match 2xx', ...extra };
}

/**
 * Results are stamped near the real time: a store may only look back a bounded window for the
 * latest results (DynamoDB: 15 minutes by default), as the API needs nothing older.
 */
function recentNow(): number {
  return Math.floor(Date.now() / 1000) * 1000 - 60_000;
}

/** Register the contract suite for one store; `make` returns a fresh, empty store. */
export function storeContract(name: string, make: () => Promise<StoreUnderTest>): void {
  describe(`${name} store contract`, () => {
    let handle: StoreUnderTest;
    let store: EngineStore;

    beforeEach(async () => {
      handle = await make();
      store = handle.store;
    });

    afterEach(async () => {
      await handle?.close();
    });

    describe('state commits', () => {
      it('inserts at version 1, then updates to version 2', async () => {
        expect(await store.getState(CHECK)).toBeUndefined();
        expect(await store.commit({ check: CHECK, expectedVersion: 0, state: state(0, 'up'), effects: [], at: T0 })).toBe(true);
        expect(await store.getState(CHECK)).toEqual(state(1, 'up'));

        expect(await store.commit({ check: CHECK, expectedVersion: 1, state: state(1, 'down'), effects: [], at: T0 + 1 })).toBe(true);
        const after = await store.getState(CHECK);
        expect(after?.version).toBe(2);
        expect(after?.regions.local?.status).toBe('down');
        expect(await store.commit({ check: OTHER, expectedVersion: 0, state: state(0, 'up', null, OTHER), effects: [], at: T0 })).toBe(true);
        const all = await store.listStates();
        expect(all.sort((a, b) => a.check.localeCompare(b.check))).toEqual([state(1, 'up', null, OTHER), after]);
      });

      it('refuses a stale expectedVersion and writes nothing: no state change, no incident, no timeline, no outbox rows', async () => {
        await store.addTimeline({ check: CHECK, incidentId: null, at: T0 + 1, kind: 'reaction', detail: 'restart-app (webhook) executed' });
        await store.commit({ check: CHECK, expectedVersion: 0, state: state(0, 'up'), effects: [], at: T0 });
        await store.commit({ check: CHECK, expectedVersion: 1, state: state(1, 'up'), effects: [], at: T0 + 1 });
        const inc = incident('checkout.api.a', T0 + 2);

        const stale = await store.commit({
          check: CHECK,
          expectedVersion: 1,
          state: state(1, 'down', inc),
          opened: inc,
          outageStartedAt: T0,
          effects: [notifyEffect(`${inc.id}:incident.opened:team`, inc), reactEffect(`${CHECK}:restart-app:${T0 + 2}`, inc)],
          at: T0 + 2,
        });
        expect(stale).toBe(false);
        expect(await store.getState(CHECK)).toEqual(state(2, 'up'));
        expect(await store.listIncidents(10)).toEqual([]);
        expect(await store.getIncident(inc.id)).toBeUndefined();
        expect(await store.openIncident(CHECK)).toBeUndefined();
        expect(await store.timeline(inc.id)).toEqual([]);
        expect(await store.pendingCount()).toBe(0);
        expect(await store.claimDue(T0 + 10_000, 10)).toEqual([]);

        // The line the refused commit would have attached is still there for the one that wins.
        expect(await store.commit({ check: CHECK, expectedVersion: 2, state: state(2, 'down', inc), opened: inc, outageStartedAt: T0, effects: [], at: T0 + 2 })).toBe(true);
        expect((await store.timeline(inc.id)).map((e) => e.kind)).toEqual(['reaction', 'opened']);
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

      it('lets exactly one of two concurrent writers of the same version commit, with only its incident and effects', async () => {
        await store.commit({ check: CHECK, expectedVersion: 0, state: state(0, 'up'), effects: [], at: T0 });
        const a = incident('checkout.api.writer-a', T0 + 1);
        const b = incident('checkout.api.writer-b', T0 + 1);
        const outcomes = await Promise.all([a, b].map((inc) => store.commit({
          check: CHECK, expectedVersion: 1, state: state(1, 'down', inc), opened: inc, effects: [notifyEffect(`${inc.id}:opened`, inc)], at: T0 + 1,
        })));
        expect(outcomes.filter((o) => o === true)).toHaveLength(1);
        expect(outcomes.filter((o) => o === false)).toHaveLength(1);
        const winner = outcomes[0] ? a : b;
        expect(await store.getState(CHECK)).toEqual(state(2, 'down', winner));
        expect(await store.listIncidents(10)).toEqual([winner]);
        expect((await store.claimDue(T0 + 10, 10)).map((i) => i.key)).toEqual([`${winner.id}:opened`]);
        expect(await store.pendingCount()).toBe(1);
      });

      it('ignores an effect whose key is already in the outbox (idempotent enqueue)', async () => {
        const inc = incident('checkout.api.c', T0);
        const key = `${inc.id}:incident.opened:team`;
        const changed = { ...inc, reason: 'a different reason' };
        // Twice in one commit: the first one counts.
        expect(await store.commit({ check: CHECK, expectedVersion: 0, state: state(0, 'down', inc), opened: inc, effects: [notifyEffect(key, inc), notifyEffect(key, changed)], at: T0 })).toBe(true);
        // A re-delivered result produces the same effect again, with a different payload this time.
        expect(await store.commit({ check: CHECK, expectedVersion: 1, state: state(1, 'down', inc), effects: [notifyEffect(key, changed), notifyEffect('fresh', inc)], at: T0 + 1 })).toBe(true);
        expect(await store.getState(CHECK)).toEqual(state(2, 'down', inc));
        await store.enqueue([notifyEffect(key, changed)], T0 + 2);
        expect(await store.pendingCount()).toBe(2);
        const claimed = await store.claimDue(T0 + 10, 10);
        expect(claimed.map((i) => i.key)).toEqual([key, 'fresh']);
        expect(claimed[0]!.effect).toEqual(notifyEffect(key, inc));

        // Once sent, the same key enqueued again is still not due: it is never sent twice.
        await store.complete(key, T0 + 20);
        await store.complete('fresh', T0 + 20);
        await store.enqueue([notifyEffect(key, inc)], T0 + 30);
        expect(await store.commit({ check: CHECK, expectedVersion: 2, state: state(2, 'down', inc), effects: [notifyEffect(key, inc)], at: T0 + 40 })).toBe(true);
        expect(await store.claimDue(T0 + 1_000, 10)).toEqual([]);
        expect(await store.pendingCount()).toBe(0);
        expect((await store.getState(CHECK))?.version).toBe(3);
      });

      it('commits an opening whose effects were all enqueued before, and keeps the enqueued payloads', async () => {
        const inc = incident('checkout.api.pre', T0);
        const early = { ...inc, reason: 'enqueued first' };
        await store.enqueue([notifyEffect('n', early), reactEffect('r', early)], T0);
        expect(await store.commit({ check: CHECK, expectedVersion: 0, state: state(0, 'down', inc), opened: inc, effects: [notifyEffect('n', inc), reactEffect('r', inc)], at: T0 + 1 })).toBe(true);
        expect(await store.getIncident(inc.id)).toEqual(inc);
        expect(await store.openIncident(CHECK)).toEqual(inc);
        const claimed = await store.claimDue(T0 + 10, 10);
        expect(claimed.map((i) => [i.key, i.createdAt])).toEqual([['n', T0], ['r', T0]]);
        expect(claimed.map((i) => i.effect)).toEqual([notifyEffect('n', early), reactEffect('r', early)]);
      });

      it('enqueues every effect of a commit, even more than fit in one DynamoDB transaction', async () => {
        const inc = incident('checkout.api.many', T0);
        const keys = Array.from({ length: 150 }, (_, i) => `k${String(i).padStart(3, '0')}`);
        expect(await store.commit({ check: CHECK, expectedVersion: 0, state: state(0, 'down', inc), opened: inc, effects: keys.map((k) => notifyEffect(k, inc)), at: T0 })).toBe(true);
        expect(await store.pendingCount()).toBe(150);
        // Again with one more: the 150 already there are ignored, the new one is added.
        expect(await store.commit({ check: CHECK, expectedVersion: 1, state: state(1, 'down', inc), effects: [...keys, 'k150'].map((k) => notifyEffect(k, inc)), at: T0 + 1 })).toBe(true);
        expect(await store.pendingCount()).toBe(151);
        const claimed = await store.claimDue(T0 + 10, 500);
        expect(claimed.map((i) => i.key).sort()).toEqual([...keys, 'k150']);
        expect(await store.listIncidents(10)).toEqual([inc]);
        expect((await store.timeline(inc.id)).map((e) => e.kind)).toEqual(['opened']);
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
        expect(await store.openIncident(CHECK)).toEqual(first);
        await store.addTimeline({ check: CHECK, incidentId: first.id, at: T0 + 5, kind: 'notified', detail: 'incident.opened sent to team' });
        const firstResolved = resolve(first, T0 + 90_000);
        await store.commit({ check: CHECK, expectedVersion: 1, state: state(1, 'up'), resolved: firstResolved, effects: [], at: T0 + 90_000 });
        expect(await store.openIncident(CHECK)).toBeUndefined();
        await store.commit({ check: CHECK, expectedVersion: 2, state: state(2, 'down', second), opened: second, effects: [], at: T0 + 600_000 });
        expect(await store.openIncident(CHECK)).toEqual(second);
        expect(await store.openIncident(OTHER)).toBeUndefined();

        const list = await store.listIncidents(10);
        expect(list.map((i) => i.id)).toEqual([second.id, first.id]);
        expect(list[0]).toEqual(second);
        expect(list[1]).toEqual(firstResolved);
        expect(list[1]!.durationSeconds).toBe(90);
        expect(await store.listIncidents(1)).toEqual([second]);
        expect(await store.getIncident(first.id)).toEqual(firstResolved);
        expect(await store.getIncident('no.such.incident')).toBeUndefined();

        expect((await store.timeline(first.id)).map((e) => [e.kind, e.detail, e.at])).toEqual([
          ['reaction', 'restart-app (webhook) executed', T0 - 1_000],
          ['opened', 'status 500 does not match 2xx', T0],
          ['notified', 'incident.opened sent to team', T0 + 5],
          ['resolved', 'up again after 90s', T0 + 90_000],
        ]);
        // The blip's line joined neither incident: it is older than both outages.
        expect(await store.timeline(second.id)).toEqual([
          { check: CHECK, incidentId: second.id, at: T0 + 600_000, kind: 'opened', detail: 'connection refused by 10.0.0.1:443' },
        ]);
      });

      it('attaches lines of the same check at or after the outage start (the commit time without one), once', async () => {
        await store.addTimeline({ check: CHECK, incidentId: null, at: T0 - 1, kind: 'reaction', detail: 'before the outage' });
        await store.addTimeline({ check: CHECK, incidentId: null, at: T0, kind: 'reaction', detail: 'at the outage start' });
        await store.addTimeline({ check: OTHER, incidentId: null, at: T0 + 1, kind: 'reaction', detail: 'another check' });
        const a = incident('checkout.api.attach', T0 + 10);
        await store.commit({ check: CHECK, expectedVersion: 0, state: state(0, 'down', a), opened: a, outageStartedAt: T0, effects: [], at: T0 + 10 });
        expect((await store.timeline(a.id)).map((e) => [e.detail, e.incidentId])).toEqual([['at the outage start', a.id], ['status 500 does not match 2xx', a.id]]);

        // Without outageStartedAt only lines from the commit time on join; lines attached before stay put.
        await store.commit({ check: CHECK, expectedVersion: 1, state: state(1, 'up'), resolved: resolve(a, T0 + 20), effects: [], at: T0 + 20 });
        await store.addTimeline({ check: CHECK, incidentId: null, at: T0 + 29, kind: 'reaction', detail: 'just before' });
        await store.addTimeline({ check: CHECK, incidentId: null, at: T0 + 30, kind: 'reaction', detail: 'at the commit' });
        const b = incident('checkout.api.attach2', T0 + 30, 'timeout after 10s');
        await store.commit({ check: CHECK, expectedVersion: 2, state: state(2, 'down', b), opened: b, effects: [], at: T0 + 30 });
        expect((await store.timeline(b.id)).map((e) => e.detail)).toEqual(['at the commit', 'timeout after 10s']);
        expect((await store.timeline(a.id)).map((e) => e.detail)).toEqual(['at the outage start', 'status 500 does not match 2xx', 'up again after 0s']);

        const c = incident('billing.db.attach', T0 + 40, 'refused', OTHER);
        await store.commit({ check: OTHER, expectedVersion: 0, state: state(0, 'down', c, OTHER), opened: c, outageStartedAt: T0, effects: [], at: T0 + 40 });
        expect((await store.timeline(c.id)).map((e) => [e.check, e.detail])).toEqual([[OTHER, 'another check'], [OTHER, 'refused']]);
      });

      it('keeps timeline lines in the order they were written', async () => {
        const inc = incident('checkout.api.order', T0);
        await store.commit({ check: CHECK, expectedVersion: 0, state: state(0, 'down', inc), opened: inc, effects: [], at: T0 });
        for (const detail of ['one', 'two', 'three', 'four', 'five']) {
          await store.addTimeline({ check: CHECK, incidentId: inc.id, at: T0 + 5, kind: 'notified', detail });
        }
        await store.addTimeline({ check: CHECK, incidentId: 'some.other.incident', at: T0 + 5, kind: 'notify-failed', detail: 'elsewhere' });
        expect((await store.timeline(inc.id)).map((e) => e.detail)).toEqual(['status 500 does not match 2xx', 'one', 'two', 'three', 'four', 'five']);
        expect(await store.timeline('some.other.incident')).toEqual([
          { check: CHECK, incidentId: 'some.other.incident', at: T0 + 5, kind: 'notify-failed', detail: 'elsewhere' },
        ]);
      });

      it('keeps an incident once opened when the same opening is committed again', async () => {
        const inc = incident('checkout.api.dup', T0);
        await store.commit({ check: CHECK, expectedVersion: 0, state: state(0, 'down', inc), opened: inc, effects: [], at: T0 });
        expect(await store.commit({ check: CHECK, expectedVersion: 1, state: state(1, 'down', inc), opened: { ...inc, reason: 'other' }, effects: [notifyEffect('after-dup', inc)], at: T0 + 1 })).toBe(true);
        expect(await store.listIncidents(10)).toEqual([inc]);
        expect(await store.getIncident(inc.id)).toEqual(inc);
        expect(await store.openIncident(CHECK)).toEqual(inc);
        expect((await store.getState(CHECK))?.version).toBe(2);
        expect(await store.pendingCount()).toBe(1);
      });

      it('does not create an incident when resolving one that was never opened', async () => {
        const ghost = resolve(incident('checkout.api.ghost', T0), T0 + 60_000);
        expect(await store.commit({ check: CHECK, expectedVersion: 0, state: state(0, 'up'), resolved: ghost, effects: [], at: T0 + 60_000 })).toBe(true);
        expect(await store.getState(CHECK)).toEqual(state(1, 'up'));
        expect(await store.getIncident(ghost.id)).toBeUndefined();
        expect(await store.listIncidents(10)).toEqual([]);
        expect(await store.openIncident(CHECK)).toBeUndefined();
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
        expect((await store.claimDue(T0 + 60_000, 10)).map((i) => i.key)).toEqual(['c-future']);
      });

      it('delivers the events of one incident and channel in order: a later one waits until the earlier is settled', async () => {
        await store.enqueue([notifyEffect('o-opened', inc, 'incident.opened', 'pager')], T0);
        await store.enqueue([notifyEffect('o-resolved', inc, 'incident.resolved', 'pager'), notifyEffect('o-other', inc, 'incident.opened', 'chat')], T0 + 1);
        expect((await store.claimDue(T0 + 10, 10)).map((i) => i.key)).toEqual(['o-opened', 'o-other']);
        // The opening failed and is retried later: the resolution still waits behind it.
        await store.retryLater('o-opened', 'answered 500', T0 + 5_000);
        expect(await store.claimDue(T0 + 10, 10)).toEqual([]);
        expect((await store.claimDue(T0 + 5_000, 10)).map((i) => i.key)).toEqual(['o-opened']);
        await store.giveUp('o-opened', 'answered 500 twelve times', T0 + 5_001);
        expect((await store.claimDue(T0 + 5_002, 10)).map((i) => i.key)).toEqual(['o-resolved']);
      });

      it('lets `accept` decline an item, which stays pending', async () => {
        await store.enqueue([notifyEffect('x-1', inc, 'incident.opened', 'slow'), notifyEffect('x-2', inc, 'incident.opened', 'fast')], T0);
        const got = await store.claimDue(T0, 10, (e) => (e as { channel: string }).channel !== 'slow');
        expect(got.map((i) => i.key)).toEqual(['x-2']);
        expect((await store.claimDue(T0, 10)).map((i) => i.key)).toEqual(['x-1']);
      });

      it('hands each item to one claimer when two claim at once', async () => {
        const keys = Array.from({ length: 20 }, (_, i) => `race-${String(i).padStart(2, '0')}`);
        await store.enqueue(keys.map((k) => notifyEffect(k, inc)), T0);
        const [x, y] = await Promise.all([store.claimDue(T0, 50), store.claimDue(T0, 50)]);
        const all = [...x!, ...y!].map((i) => i.key);
        expect(all.sort()).toEqual(keys);
        expect(await store.claimDue(T0, 50)).toEqual([]);
      });

      it('makes a settled item disappear from the pending count', async () => {
        await store.enqueue([notifyEffect('done', inc), notifyEffect('dead', inc)], T0);
        expect(await store.pendingCount()).toBe(2);
        expect((await store.claimDue(T0, 10)).map((i) => i.key).sort()).toEqual(['dead', 'done']);
        await store.complete('done', T0 + 1);
        await store.giveUp('dead', 'answered 400', T0 + 1);
        expect(await store.pendingCount()).toBe(0);
        expect(await store.claimDue(T0 + 1_000_000, 10)).toEqual([]);
        expect(await store.recoverInterrupted()).toEqual([]);
        // A settled key stays known: enqueuing it again does not send it again.
        await store.enqueue([notifyEffect('done', inc), notifyEffect('dead', inc)], T0 + 2);
        expect(await store.pendingCount()).toBe(0);
      });

      it('retryLater makes an item due again only at nextAt, with its attempts counted', async () => {
        await store.enqueue([notifyEffect('k', inc)], T0);
        const [first] = await store.claimDue(T0, 10);
        expect(first?.attempts).toBe(1);
        await store.retryLater('k', 'answered 503', T0 + 5_000);
        expect(await store.pendingCount()).toBe(1);
        expect(await store.claimDue(T0 + 4_999, 10)).toEqual([]);
        const again = await store.claimDue(T0 + 5_000, 10);
        expect(again.map((i) => [i.key, i.attempts, i.createdAt])).toEqual([['k', 2, T0]]);
        expect(await store.claimDue(T0 + 5_000, 10)).toEqual([]);
        expect(await store.pendingCount()).toBe(1);
      });

      it('returns items left claimed (not pending, not settled) to recoverInterrupted, until they are settled', async () => {
        await store.enqueue([notifyEffect('n-claimed', inc), reactEffect('r-claimed', inc), notifyEffect('n-done', inc)], T0);
        await store.claimDue(T0, 10);
        await store.complete('n-done', T0 + 1);
        await store.enqueue([notifyEffect('n-pending', inc)], T0 + 2);

        const recovered = await store.recoverInterrupted();
        expect(recovered.map((i) => i.key).sort()).toEqual(['n-claimed', 'r-claimed']);
        expect(recovered.find((i) => i.key === 'r-claimed')).toEqual({ key: 'r-claimed', effect: reactEffect('r-claimed', inc), attempts: 1, createdAt: T0 });
        // What the executor does with them: a notification goes back to pending, a reaction is given up.
        await store.retryLater('n-claimed', 'interrupted by a restart', T0 + 3);
        await store.giveUp('r-claimed', 'interrupted by a restart', T0 + 3);
        expect(await store.recoverInterrupted()).toEqual([]);
        // Pending items are not "interrupted"; they are simply due.
        expect((await store.claimDue(T0 + 10, 10)).map((i) => [i.key, i.attempts, i.createdAt])).toEqual([['n-claimed', 2, T0], ['n-pending', 1, T0 + 2]]);
        expect(await store.pendingCount()).toBe(2);
      });

      it('settling a key it never had changes nothing (that key can still be enqueued and sent)', async () => {
        await store.complete('ghost-done', T0);
        await store.giveUp('ghost-dead', 'gone', T0);
        await store.retryLater('ghost-retry', 'later', T0);
        expect(await store.pendingCount()).toBe(0);
        await store.enqueue([notifyEffect('ghost-done', inc), notifyEffect('ghost-dead', inc), notifyEffect('ghost-retry', inc)], T0 + 1);
        expect((await store.claimDue(T0 + 1, 10)).map((i) => [i.key, i.attempts]).sort()).toEqual([['ghost-dead', 1], ['ghost-done', 1], ['ghost-retry', 1]]);
      });
    });

    describe('results', () => {
      it('returns the newest result of every (check, region), with every field', async () => {
        const now = recentNow();
        await store.appendResults([]);
        await store.appendResults([
          result('a/x', 'local', now + 1, false),
          result('a/x', 'local', now + 3, true, { attempts: 2, traceId: 'abc123', timings: { connect: 1.2, firstByte: 4.5, total: 6.7 } }),
          result('a/x', 'local', now + 2, false),
          result('a/x', 'push', now + 1, false, { reason: 'pushed down' }),
          result('b/y', 'local', now + 5, true),
          result('b/y', 'local', now + 4, false),
        ]);
        await store.appendResults([result('b/y', 'eu-west-1', now - 30_000, false, { latencyMs: 1234.56, reason: 'timeout after 10s' })]);
        const latest = await store.latestResults();
        const byKey = new Map(latest.map((r) => [`${r.check} ${r.region}`, r]));
        expect(latest).toHaveLength(4);
        expect(byKey.get('a/x local')).toEqual({
          check: 'a/x', region: 'local', at: now + 3, ok: true, latencyMs: 12.3, reason: 'status 200',
          attempts: 2, traceId: 'abc123', timings: { connect: 1.2, firstByte: 4.5, total: 6.7 },
        });
        expect(byKey.get('a/x push')).toMatchObject({ at: now + 1, ok: false, reason: 'pushed down' });
        expect(byKey.get('b/y local')).toMatchObject({ at: now + 5, ok: true });
        // Latency is kept to a tenth of a millisecond.
        expect(byKey.get('b/y eu-west-1')).toEqual({ check: 'b/y', region: 'eu-west-1', at: now - 30_000, ok: false, latencyMs: 1234.6, reason: 'timeout after 10s' });
      });

      it('returns one result per (check, region) even when two share the newest timestamp: the later written wins', async () => {
        const now = recentNow();
        await store.appendResults([
          result('a/x', 'push', now, false, { reason: 'pushed down' }),
          result('a/x', 'push', now, true, { reason: 'pushed up' }),
        ]);
        let latest = await store.latestResults();
        expect(latest).toHaveLength(1);
        expect(latest[0]).toMatchObject({ check: 'a/x', region: 'push', at: now, ok: true, reason: 'pushed up' });

        // Two pushes in one millisecond arrive as two calls (one hook each).
        await store.appendResults([result('a/x', 'push', now + 1, true, { reason: 'first hook' })]);
        await store.appendResults([result('a/x', 'push', now + 1, false, { reason: 'second hook' })]);
        latest = await store.latestResults();
        expect(latest).toHaveLength(1);
        expect(latest[0]).toMatchObject({ at: now + 1, ok: false, reason: 'second hook' });
      });

      it('returns the recent results of one check, newest first, across batches, up to the limit', async () => {
        const now = recentNow();
        await store.appendResults([result('a/x', 'us-east-1', now - 3_000), result('b/y', 'us-east-1', now - 500)]);
        await store.appendResults([result('a/x', 'eu-west-1', now - 2_000, false), result('a/x', 'eu-west-1', now - 4_000)]);
        await store.appendResults([result('a/x', 'us-east-1', now - 1_000)]);
        expect((await store.recentResults('a/x', 10)).map((r) => [r.at, r.region, r.ok])).toEqual([
          [now - 1_000, 'us-east-1', true],
          [now - 2_000, 'eu-west-1', false],
          [now - 3_000, 'us-east-1', true],
          [now - 4_000, 'eu-west-1', true],
        ]);
        expect((await store.recentResults('a/x', 2)).map((r) => r.at)).toEqual([now - 1_000, now - 2_000]);
        expect((await store.recentResults('b/y', 10)).map((r) => r.at)).toEqual([now - 500]);
        expect(await store.recentResults('c/z', 10)).toEqual([]);
      });

      it('pruning keeps results from the cut-off on and every unsettled outbox item', async () => {
        const now = recentNow();
        await store.appendResults([result('a/x', 'local', now - 2_000), result('a/x', 'local', now)]);
        await store.enqueue([notifyEffect('still-pending', incident('i', T0))], T0);
        const removed = await store.pruneResults(now - 1_000);
        // SQLite deletes (1 here); DynamoDB leaves it to TTL (0). Either way nothing newer goes.
        expect(removed).toBeGreaterThanOrEqual(0);
        expect(removed).toBeLessThanOrEqual(1);
        expect((await store.recentResults('a/x', 10)).map((r) => r.at)).toContain(now);
        expect((await store.latestResults()).map((r) => r.at)).toEqual([now]);
        expect(await store.pendingCount()).toBe(1);
      });
    });

    describe('heartbeats, watch starts and reaction memos', () => {
      it('keeps the newest ping of each check; an older ping arriving late does not move it back', async () => {
        await store.recordPing('jobs/backup', T0 + 200);
        await store.recordPing('jobs/backup', T0 + 150);
        await store.recordPing('jobs/report', T0 + 100);
        await store.recordPing('jobs/report', T0 + 300);
        expect(await store.lastPings()).toEqual(new Map([['jobs/backup', T0 + 200], ['jobs/report', T0 + 300]]));
      });

      it('keeps the newest reported ping failure of each check with its message', async () => {
        await store.recordPingFailure('jobs/backup', T0 + 100, 'disk full');
        await store.recordPingFailure('jobs/backup', T0 + 50, 'late and older');
        await store.recordPingFailure('jobs/report', T0 + 10, 'first');
        await store.recordPingFailure('jobs/report', T0 + 20, 'second');
        expect(await store.lastPingFailures()).toEqual(new Map([
          ['jobs/backup', { at: T0 + 100, message: 'disk full' }],
          ['jobs/report', { at: T0 + 20, message: 'second' }],
        ]));
        // Pings and failures are kept apart.
        expect(await store.lastPings()).toEqual(new Map());
      });

      it('records when each check was first watched and keeps it', async () => {
        expect(await store.watchStart([CHECK, 'jobs/backup'], T0)).toEqual(new Map([[CHECK, T0], ['jobs/backup', T0]]));
        // Known checks keep their first watch time; a new one starts now; every known one is returned.
        expect(await store.watchStart(['new/check', CHECK, 'new/check'], T0 + 9_000)).toEqual(new Map([[CHECK, T0], ['jobs/backup', T0], ['new/check', T0 + 9_000]]));
        expect(await store.watchStart([], T0 + 10_000)).toEqual(new Map([[CHECK, T0], ['jobs/backup', T0], ['new/check', T0 + 9_000]]));
      });

      it('saves and loads a memo per (check, reaction), replacing the previous one', async () => {
        expect(await store.loadMemo(CHECK, 'failover')).toBeUndefined();
        await store.saveMemo(CHECK, 'failover', { record: 'api.example.com', original: 'primary.example.com', ttl: 60 });
        await store.saveMemo(OTHER, 'failover', ['other']);
        expect(await store.loadMemo(CHECK, 'failover')).toEqual({ record: 'api.example.com', original: 'primary.example.com', ttl: 60 });
        await store.saveMemo(CHECK, 'failover', { record: 'api.example.com', original: 'changed.example.com' });
        expect(await store.loadMemo(CHECK, 'failover')).toEqual({ record: 'api.example.com', original: 'changed.example.com' });
        expect(await store.loadMemo(OTHER, 'failover')).toEqual(['other']);
        expect(await store.loadMemo(CHECK, 'reboot-web')).toBeUndefined();
        await store.saveMemo(CHECK, 'reboot-web', undefined);
        expect(await store.loadMemo(CHECK, 'reboot-web')).toBeNull();
      });
    });
  });
}
