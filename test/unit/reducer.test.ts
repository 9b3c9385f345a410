/**
 * The incident reducer, tested as traces: a list of probe results folded through `evaluate`,
 * asserting on the effects (what users are told, what reactions run) and on the state it keeps.
 */
import { describe, expect, it } from 'vitest';
import { evaluate, incidentId, PUSH_REGION, type CheckPolicy, type Transition } from '../../shared/engine/reducer.ts';
import type { CheckState, Effect, Incident, ProbeResult } from '../../shared/types.ts';

const CHECK = 'checkout/api';
const T0 = Date.parse('2026-11-22T03:00:00.000Z');
const MIN = 60_000;
/** Epoch ms of round `n`, one round a minute. */
const at = (n: number): number => T0 + n * MIN;
const iso = (n: number): string => new Date(at(n)).toISOString();

const US = 'us-east-1';
const EU = 'eu-west-1';
const AP = 'ap-southeast-2';

function policy(overrides: Partial<CheckPolicy> = {}): CheckPolicy {
  return {
    check: CHECK,
    service: 'checkout',
    group: 'customer-abc/production',
    severity: 'critical',
    regions: ['local'],
    failures: 2,
    recoveries: 1,
    quorum: 1,
    channels: [{ id: 'team' }, { id: 'hook' }],
    reactions: [],
    ...overrides,
  };
}

const REASON = 'status 500 does not match 2xx';

function fail(n: number, region = 'local', reason = REASON): ProbeResult {
  return { check: CHECK, region, at: at(n), ok: false, latencyMs: 31, reason };
}
function ok(n: number, region = 'local'): ProbeResult {
  return { check: CHECK, region, at: at(n), ok: true, latencyMs: 12, reason: 'status 200' };
}
function pushed(n: number, up: boolean, reason = up ? 'ping received' : 'datadog: cpu above 95%'): ProbeResult {
  return { check: CHECK, region: PUSH_REGION, at: at(n), ok: up, latencyMs: 0, reason, pushed: true };
}
/** One round from several regions: `{ [region]: true (ok) | false (failed) }`, in that order. */
function round(n: number, verdicts: Record<string, boolean>): ProbeResult[] {
  return Object.entries(verdicts).map(([region, up]) => (up ? ok(n, region) : fail(n, region)));
}
function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

interface Trace {
  state: CheckState | undefined;
  steps: Transition[];
  effects: Effect[];
  opened: Incident[];
  resolved: Incident[];
}

/** Fold results through `evaluate`, as the evaluator does, collecting every transition and effect. */
function trace(p: CheckPolicy, results: ProbeResult[], start?: CheckState): Trace {
  let state = start;
  const steps: Transition[] = [];
  for (const result of results) {
    const t = evaluate(state, result, p);
    steps.push(t);
    state = t.state;
  }
  return {
    state,
    steps,
    effects: steps.flatMap((t) => t.effects),
    opened: steps.flatMap((t) => (t.opened ? [t.opened] : [])),
    resolved: steps.flatMap((t) => (t.resolved ? [t.resolved] : [])),
  };
}

type NotifyEffect = Extract<Effect, { kind: 'notify' }>;
type ReactEffect = Extract<Effect, { kind: 'react' }>;
const notifies = (effects: Effect[]): NotifyEffect[] => effects.filter((e): e is NotifyEffect => e.kind === 'notify');
const reacts = (effects: Effect[]): ReactEffect[] => effects.filter((e): e is ReactEffect => e.kind === 'react');

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

describe('opening an incident (failures: 2, one region)', () => {
  it('a first failed round alone opens nothing and tells no one', () => {
    const t = trace(policy(), [ok(0), fail(1)]);
    expect(t.steps[1]!.effects).toEqual([]);
    expect(t.steps[1]!.opened).toBeUndefined();
    expect(t.steps[1]!.changed).toBe(true); // the failure counter moved
    expect(t.state!.incident).toBeNull();
    expect(t.state!.regions.local).toMatchObject({ status: 'up', failures: 1 });
  });

  it('a first failed round on a check never seen before leaves the region pending', () => {
    const t = trace(policy(), [fail(1)]);
    expect(t.effects).toEqual([]);
    expect(t.state!.incident).toBeNull();
    expect(t.state!.regions.local).toMatchObject({ status: 'pending', failures: 1, reason: REASON });
  });

  it('fail, fail -> opened, with exactly one incident.opened per channel', () => {
    const p = policy();
    const t = trace(p, [ok(0), fail(1), fail(2)]);
    const step = t.steps[2]!;
    const id = incidentId(CHECK, at(2));

    expect(t.opened).toHaveLength(1);
    expect(step.opened).toEqual({
      id,
      check: CHECK,
      service: 'checkout',
      group: 'customer-abc/production',
      severity: 'critical',
      startedAt: iso(1),
      openedAt: iso(2),
      resolvedAt: null,
      durationSeconds: null,
      reason: REASON,
      regions: { local: 'down' },
    });
    expect(step.changed).toBe(true);
    expect(step.state.incident).toEqual(step.opened);
    expect(step.state.regions.local).toMatchObject({ status: 'down', since: at(2) });

    expect(step.effects).toEqual([
      { kind: 'notify', key: `${id}:incident.opened:team`, channel: 'team', payload: { event: 'incident.opened', incident: step.opened } },
      { kind: 'notify', key: `${id}:incident.opened:hook`, channel: 'hook', payload: { event: 'incident.opened', incident: step.opened } },
    ]);
    // Nothing before the second failure.
    expect(t.steps[0]!.effects).toEqual([]);
    expect(t.steps[1]!.effects).toEqual([]);
  });

  it('keeps the trace id of the round that opened the incident', () => {
    const t = trace(policy(), [fail(1), { ...fail(2), traceId: 'trace-abc' }]);
    expect(t.opened[0]!.traceId).toBe('trace-abc');
  });

  it('failures: 3 needs three failed rounds in a row; a good round in between starts over', () => {
    const p = policy({ failures: 3 });
    const t = trace(p, [ok(0), fail(1), fail(2), ok(3), fail(4), fail(5), fail(6)]);
    expect(t.opened).toHaveLength(1);
    expect(t.steps.findIndex((s) => s.opened)).toBe(6);
    expect(t.opened[0]!.openedAt).toBe(iso(6));
  });
});

describe('resolving an incident', () => {
  it('ok -> resolved, with durationSeconds = (resolvedAt - startedAt) / 1000 (the outage, from its first failed round) and an incident.resolved per channel', () => {
    const p = policy();
    const t = trace(p, [ok(0), fail(1), fail(2), fail(3), fail(4), ok(6)]);
    const opened = t.opened[0]!;
    const step = t.steps[5]!;

    expect(t.resolved).toHaveLength(1);
    const resolved = step.resolved!;
    expect(resolved).toEqual({
      ...opened,
      resolvedAt: iso(6),
      durationSeconds: (at(6) - at(1)) / 1000,
      regions: { local: 'up' },
    });
    expect(resolved.durationSeconds).toBe(300);
    expect((Date.parse(resolved.resolvedAt!) - Date.parse(resolved.startedAt!)) / 1000).toBe(resolved.durationSeconds);
    expect(step.state.incident).toBeNull();
    expect(step.state.regions.local).toMatchObject({ status: 'up', failures: 0, since: at(6) });
    expect(step.effects).toEqual([
      { kind: 'notify', key: `${opened.id}:incident.resolved:team`, channel: 'team', payload: { event: 'incident.resolved', incident: resolved } },
      { kind: 'notify', key: `${opened.id}:incident.resolved:hook`, channel: 'hook', payload: { event: 'incident.resolved', incident: resolved } },
    ]);
  });

  it('recoveries: 2 needs two good rounds in a row before it resolves', () => {
    const p = policy({ recoveries: 2 });
    const t = trace(p, [ok(0), ok(1), fail(2), fail(3), ok(4), fail(5), ok(6), ok(7)]);
    expect(t.opened).toHaveLength(1);
    // One good round (4) is not enough; a failure (5) starts the count over; 6 + 7 resolve.
    expect(t.steps[4]!.effects).toEqual([]);
    expect(t.steps[4]!.state.incident).not.toBeNull();
    expect(t.steps[4]!.state.regions.local!.status).toBe('down');
    expect(t.steps[6]!.effects).toEqual([]);
    expect(t.steps[6]!.state.incident).not.toBeNull();
    expect(t.resolved).toHaveLength(1);
    expect(t.steps[7]!.resolved).toMatchObject({ resolvedAt: iso(7), durationSeconds: (at(7) - at(2)) / 1000 });
    expect(notifies(t.steps[7]!.effects).map((e) => e.key)).toEqual([
      `${t.opened[0]!.id}:incident.resolved:team`,
      `${t.opened[0]!.id}:incident.resolved:hook`,
    ]);
  });

  it('a second outage after a resolution is a new incident with a new id', () => {
    const t = trace(policy(), [fail(1), fail(2), ok(3), fail(4), fail(5), ok(6)]);
    expect(t.opened.map((i) => i.openedAt)).toEqual([iso(2), iso(5)]);
    expect(t.resolved.map((i) => i.id)).toEqual(t.opened.map((i) => i.id));
    expect(new Set(t.opened.map((i) => i.id)).size).toBe(2);
    expect(new Set(t.effects.map((e) => e.key)).size).toBe(t.effects.length);
  });
});

describe('long traces', () => {
  it('alternating fail/ok with failures: 2 never opens an incident', () => {
    const results = range(0, 399).map((n) => (n % 2 === 0 ? fail(n) : ok(n)));
    const t = trace(policy(), results);
    expect(t.opened).toEqual([]);
    expect(t.effects).toEqual([]);
    expect(t.steps.every((s) => s.state.incident === null)).toBe(true);
    expect(t.steps.every((s) => s.state.regions.local!.status !== 'down')).toBe(true);
  });

  it('a 100-round outage opens exactly one incident, then changes nothing once the counters saturate', () => {
    const p = policy();
    const t = trace(p, [ok(0), ...range(1, 100).map((n) => fail(n))]);
    expect(t.opened).toHaveLength(1);
    expect(t.opened[0]!.openedAt).toBe(iso(2));
    expect(t.effects.map((e) => e.key)).toEqual([
      `${t.opened[0]!.id}:incident.opened:team`,
      `${t.opened[0]!.id}:incident.opened:hook`,
    ]);
    // Rounds 3..100: nothing worth persisting, and the state is the one reached at round 2.
    const later = t.steps.slice(3);
    expect(later).toHaveLength(98);
    for (const s of later) {
      expect(s.changed).toBe(false);
      expect(s.effects).toEqual([]);
      expect(s.opened).toBeUndefined();
    }
    expect(t.state).toEqual(t.steps[2]!.state);

    // And it still ends: one resolution, with the whole outage's length.
    const end = evaluate(t.state, ok(101), p);
    expect(end.resolved).toMatchObject({ id: t.opened[0]!.id, durationSeconds: (at(101) - at(1)) / 1000 });
  });

  it('a steady OK check produces changed: false after its first result', () => {
    const t = trace(policy({ recoveries: 1 }), range(0, 50).map((n) => ok(n)));
    expect(t.steps[0]!.changed).toBe(true);
    expect(t.steps.slice(1).every((s) => !s.changed)).toBe(true);
    expect(t.effects).toEqual([]);
    expect(t.state!.regions.local).toMatchObject({ status: 'up', since: at(0) });
  });
});

describe('cross-region quorum (3 regions, quorum 2, failures 2)', () => {
  const p = policy({ regions: [US, EU, AP], quorum: 2 });

  it('one region down -> no incident; a second -> one incident; one recovers -> resolved', () => {
    const results = [
      ...round(0, { [US]: true, [EU]: true, [AP]: true }),
      ...round(1, { [US]: false, [EU]: true, [AP]: true }),
      ...round(2, { [US]: false, [EU]: true, [AP]: true }), // us-east-1 down
      ...round(3, { [US]: false, [EU]: true, [AP]: true }),
      ...round(4, { [US]: false, [EU]: false, [AP]: true }),
      ...round(5, { [US]: false, [EU]: false, [AP]: true }), // eu-west-1 down: quorum
      ...round(6, { [US]: false, [EU]: false, [AP]: true }),
      ...round(7, { [US]: true, [EU]: false, [AP]: true }), // us-east-1 up: 1 down < 2
    ];
    const t = trace(p, results);

    // One region down for three rounds: its state says so, but nobody is told.
    const afterRound3 = t.steps[11]!.state;
    expect(afterRound3.regions[US]!.status).toBe('down');
    expect(afterRound3.incident).toBeNull();
    expect(t.steps.slice(0, 12).flatMap((s) => s.effects)).toEqual([]);

    // The second region going down opens exactly one incident.
    expect(t.opened).toHaveLength(1);
    const openStep = t.steps.findIndex((s) => s.opened);
    expect(results[openStep]).toEqual(fail(5, EU));
    expect(t.opened[0]).toMatchObject({ openedAt: iso(5), regions: { [US]: 'down', [EU]: 'down', [AP]: 'up' } });
    expect(notifies(t.steps[openStep]!.effects).map((e) => e.payload.event)).toEqual(['incident.opened', 'incident.opened']);

    // us-east-1 recovering leaves one region down, below the quorum: resolved.
    expect(t.resolved).toHaveLength(1);
    const resolveStep = t.steps.findIndex((s) => s.resolved);
    expect(results[resolveStep]).toEqual(ok(7, US));
    expect(t.resolved[0]).toMatchObject({
      id: t.opened[0]!.id,
      resolvedAt: iso(7),
      startedAt: iso(1), // us-east-1's first failed round: the outage began there
      durationSeconds: (at(7) - at(1)) / 1000,
      regions: { [US]: 'up', [EU]: 'down', [AP]: 'up' },
    });
    expect(t.effects.map((e) => (e.kind === 'notify' ? e.payload.event : e.kind))).toEqual([
      'incident.opened',
      'incident.opened',
      'incident.resolved',
      'incident.resolved',
    ]);
  });

  it('a third region going down during the incident updates its regions but tells no one again', () => {
    const t = trace(p, [
      ...round(1, { [US]: false, [EU]: false, [AP]: true }),
      ...round(2, { [US]: false, [EU]: false, [AP]: false }),
      ...round(3, { [US]: false, [EU]: false, [AP]: false }),
    ]);
    expect(t.opened).toHaveLength(1);
    expect(notifies(t.effects)).toHaveLength(2);
    const last = t.steps[8]!;
    expect(last.changed).toBe(true);
    expect(last.effects).toEqual([]);
    expect(last.state.incident).toMatchObject({ id: t.opened[0]!.id, regions: { [US]: 'down', [EU]: 'down', [AP]: 'down' } });
  });

  it('regions that never reported show as pending in the incident', () => {
    const q = policy({ regions: [US, EU, AP], quorum: 1, failures: 1 });
    const t = trace(q, [fail(1, US)]);
    expect(t.opened[0]!.regions).toEqual({ [US]: 'down', [EU]: 'pending', [AP]: 'pending' });
  });
});

describe('pushed results (hooks, failed pings, missed heartbeats)', () => {
  it('a pushed down opens at once and a pushed up resolves, even with failures: 3 and recoveries: 3', () => {
    const p = policy({ regions: [PUSH_REGION], failures: 3, recoveries: 3, quorum: 1 });
    const t = trace(p, [pushed(0, true), pushed(1, false), pushed(5, true)]);
    expect(t.steps[1]!.opened).toMatchObject({ openedAt: iso(1), reason: 'datadog: cpu above 95%', regions: { push: 'down' } });
    expect(notifies(t.steps[1]!.effects).map((e) => e.key)).toEqual([
      `${incidentId(CHECK, at(1))}:incident.opened:team`,
      `${incidentId(CHECK, at(1))}:incident.opened:hook`,
    ]);
    expect(t.steps[2]!.resolved).toMatchObject({ resolvedAt: iso(5), durationSeconds: 240, regions: { push: 'up' } });
    expect(t.steps[2]!.state.incident).toBeNull();
  });

  it('a pushed down opens at once even where probes need a quorum of 2 of 3 regions', () => {
    const p = policy({ regions: [US, EU, AP], quorum: 2 });
    const t = trace(p, [...round(0, { [US]: true, [EU]: true, [AP]: true }), pushed(1, false)]);
    expect(t.opened).toHaveLength(1);
    expect(t.opened[0]!.regions).toEqual({ [US]: 'up', [EU]: 'up', [AP]: 'up', push: 'down' });
    const back = evaluate(t.state, pushed(2, true), p);
    expect(back.resolved).toMatchObject({ id: t.opened[0]!.id, durationSeconds: 60 });
  });
});

describe('channel event filters', () => {
  it('each channel gets only the events it asked for', () => {
    const p = policy({
      channels: [{ id: 'team' }, { id: 'pager', events: ['incident.opened'] }, { id: 'log', events: ['incident.resolved'] }],
    });
    const t = trace(p, [fail(1), fail(2), ok(3)]);
    const id = t.opened[0]!.id;
    expect(t.steps[1]!.effects.map((e) => e.key)).toEqual([`${id}:incident.opened:team`, `${id}:incident.opened:pager`]);
    expect(t.steps[2]!.effects.map((e) => e.key)).toEqual([`${id}:incident.resolved:team`, `${id}:incident.resolved:log`]);
  });

  it('a check with no channels opens and resolves without notify effects', () => {
    const t = trace(policy({ channels: [] }), [fail(1), fail(2), ok(3)]);
    expect(t.opened).toHaveLength(1);
    expect(t.resolved).toHaveLength(1);
    expect(t.effects).toEqual([]);
  });

  it('reaction outcomes are announced only to channels that take reaction.ran', () => {
    const p = policy({
      failures: 1,
      channels: [{ id: 'team' }, { id: 'pager', events: ['incident.opened'] }, { id: 'audit', events: ['reaction.ran'] }],
      reactions: [{ id: 'restart-app', after: 1, cooldownMs: 5 * MIN }],
    });
    const t = trace(p, [fail(1)]);
    expect(reacts(t.effects).map((e) => e.announceTo)).toEqual([['team', 'audit']]);
    expect(notifies(t.effects).map((e) => e.channel)).toEqual(['team', 'pager']);
  });
});

describe('reactions', () => {
  it('after: 3 runs on the third failed round, not before', () => {
    const p = policy({ reactions: [{ id: 'reboot-web', after: 3, cooldownMs: 15 * MIN }] });
    const t = trace(p, [ok(0), fail(1), fail(2), fail(3), fail(4)]);
    expect(reacts(t.steps.slice(0, 3).flatMap((s) => s.effects))).toEqual([]);
    expect(t.steps[2]!.opened).toBeDefined(); // the incident opens at failures: 2, before the reaction
    expect(reacts(t.steps[3]!.effects)).toEqual([
      {
        kind: 'react',
        key: `${CHECK}:reboot-web:${at(3)}`,
        reaction: 'reboot-web',
        check: CHECK,
        incident: t.opened[0],
        decision: 'run',
        why: `3 consecutive failed rounds in local: ${REASON}`,
        announceTo: ['team', 'hook'],
      },
    ]);
    expect(t.steps[3]!.changed).toBe(true);
    expect(t.steps[3]!.state.reactions['reboot-web']).toEqual({ lastRunAt: at(3) });
  });

  it('after: 3 counts consecutive failed rounds: a good round in between starts over', () => {
    const p = policy({ failures: 1, reactions: [{ id: 'reboot-web', after: 3, cooldownMs: 15 * MIN }] });
    const t = trace(p, [fail(1), fail(2), ok(3), fail(4), fail(5), fail(6)]);
    expect(reacts(t.effects).map((e) => [e.decision, e.key])).toEqual([['run', `${CHECK}:reboot-web:${at(6)}`]]);
  });

  it('cooldown: runs once, records one skip, stays silent until the cooldown passes, then runs again', () => {
    const p = policy({ failures: 1, reactions: [{ id: 'restart-app', after: 1, cooldownMs: 5 * MIN }] });
    const t = trace(p, range(1, 12).map((n) => fail(n)));
    const r = reacts(t.effects);
    expect(r.map((e) => [e.decision, e.key])).toEqual([
      ['run', `${CHECK}:restart-app:${at(1)}`],
      ['skip', `${CHECK}:restart-app:${at(2)}`],
      ['run', `${CHECK}:restart-app:${at(6)}`], // exactly 5 minutes after the first run
      ['skip', `${CHECK}:restart-app:${at(7)}`],
      ['run', `${CHECK}:restart-app:${at(11)}`],
      ['skip', `${CHECK}:restart-app:${at(12)}`],
    ]);
    expect(r[1]!.why).toBe('in cooldown: ran 1m ago, may run again in 4m');
    expect(r[1]!.incident).toMatchObject({ id: t.opened[0]!.id });
    // Rounds 3, 4, 5 and 8, 9, 10: no effect and nothing to persist.
    for (const n of [3, 4, 5, 8, 9, 10]) {
      expect(t.steps[n - 1]!.effects).toEqual([]);
      expect(t.steps[n - 1]!.changed).toBe(false);
    }
    expect(new Set(t.effects.map((e) => e.key)).size).toBe(t.effects.length);
  });

  it('cooldowns follow the results\' order, not the wall clock: a step back an hour does not silence a reaction', () => {
    const p = policy({ failures: 1, reactions: [{ id: 'restart-app', after: 1, cooldownMs: 5 * MIN }] });
    // Rounds a minute apart in order (seq); from round 2 on the wall clock reads an hour earlier.
    const results = range(1, 7).map((n) => ({ ...fail(n), seq: at(n), at: n === 1 ? at(1) : at(n) - 60 * MIN }));
    const r = reacts(trace(p, results).effects);
    expect(r.map((e) => e.decision)).toEqual(['run', 'skip', 'run', 'skip']);
    expect(r[1]!.why).toBe('in cooldown: ran 1m ago, may run again in 4m');
    expect(r[2]!.key).toBe(`${CHECK}:restart-app:${at(6)}`);
  });

  it('the cooldown outlives the incident: a new outage within it skips the reaction', () => {
    const p = policy({ failures: 1, reactions: [{ id: 'restart-app', after: 1, cooldownMs: 15 * MIN }] });
    const t = trace(p, [fail(1), ok(2), fail(3)]);
    expect(t.opened).toHaveLength(2);
    expect(reacts(t.effects).map((e) => e.decision)).toEqual(['run', 'skip']);
  });

  it('reactions never run on ok results', () => {
    const p = policy({ failures: 1, reactions: [{ id: 'restart-app', after: 1, cooldownMs: 0 }] });
    const results = range(0, 40).map((n) => (n % 3 === 0 ? fail(n) : ok(n)));
    const t = trace(p, results);
    t.steps.forEach((s, i) => {
      const r = reacts(s.effects);
      if (results[i]!.ok) expect(r).toEqual([]);
      else expect(r.map((e) => e.decision)).toEqual(['run']);
    });
    expect(reacts(t.effects)).toHaveLength(14);
  });

  it('reactions never run on pushed ok results either (which skip the after count)', () => {
    const p = policy({ regions: [PUSH_REGION], failures: 1, quorum: 1, reactions: [{ id: 'restart-app', after: 1, cooldownMs: 0 }] });
    const results = range(0, 9).map((n) => pushed(n, n % 2 === 1));
    const t = trace(p, results);
    t.steps.forEach((s, i) => {
      expect(reacts(s.effects).map((e) => e.decision)).toEqual(results[i]!.ok ? [] : ['run']);
    });
  });

  it('does not run while fewer regions than the quorum are failing', () => {
    const p = policy({ regions: [US, EU, AP], quorum: 2, reactions: [{ id: 'reboot-web', after: 1, cooldownMs: 0 }] });
    const lonely = range(1, 10).flatMap((n) => round(n, { [US]: false, [EU]: true, [AP]: true }));
    const t = trace(p, lonely);
    expect(t.state!.regions[US]!.status).toBe('down');
    expect(t.effects).toEqual([]);

    // A second failing region reaches the quorum: now it runs.
    const more = trace(p, round(11, { [US]: false, [EU]: false, [AP]: true }), t.state);
    expect(reacts(more.effects)).toMatchObject([{ decision: 'run', why: `1 consecutive failed round in ${EU}: ${REASON}` }]);
  });

  it('runs at once on a pushed (already confirmed) failure, whatever its after', () => {
    const p = policy({ regions: [PUSH_REGION], failures: 1, quorum: 1, reactions: [{ id: 'reboot-web', after: 3, cooldownMs: 15 * MIN }] });
    const t = trace(p, [pushed(1, false)]);
    expect(reacts(t.effects)).toMatchObject([{ decision: 'run', why: 'confirmed failure: datadog: cpu above 95%' }]);
  });
});

describe('purity and idempotency', () => {
  function busyState(): { p: CheckPolicy; state: CheckState } {
    const p = policy({
      regions: [US, EU, AP],
      quorum: 2,
      recoveries: 2,
      reactions: [{ id: 'reboot-web', after: 2, cooldownMs: 15 * MIN }],
    });
    const t = trace(p, [
      ...round(0, { [US]: true, [EU]: true, [AP]: true }),
      ...round(1, { [US]: false, [EU]: false, [AP]: true }),
      ...round(2, { [US]: false, [EU]: false, [AP]: true }),
      ...round(3, { [US]: false, [EU]: false, [AP]: true }),
    ]);
    expect(t.state!.incident).not.toBeNull();
    expect(t.state!.reactions['reboot-web']).toBeDefined();
    return { p, state: t.state! };
  }

  it('evaluate never mutates its input state (deep-frozen)', () => {
    const { p, state } = busyState();
    const copy = structuredClone(state);
    deepFreeze(state);
    const inputs = [fail(4, US), fail(4, AP), ok(4, US), ok(4, 'sa-east-1'), pushed(4, false), pushed(4, true), fail(30, EU)];
    for (const r of inputs) {
      const result = deepFreeze({ ...r });
      expect(() => evaluate(state, result, deepFreeze(structuredClone(p)))).not.toThrow();
    }
    // Drive a whole resolution from the frozen state too.
    const back = trace(p, [ok(5, US), ok(6, US)], state);
    expect(back.resolved).toHaveLength(1);
    expect(state).toEqual(copy);
  });

  it('the incident id is deterministic for the same (check, at)', () => {
    const a = trace(policy(), [ok(0), fail(1), fail(2)]);
    const b = trace(policy(), [fail(1), fail(2)]);
    expect(a.opened[0]!.id).toBe(incidentId(CHECK, at(2)));
    expect(b.opened[0]!.id).toBe(a.opened[0]!.id);
    expect(incidentId(CHECK, at(3))).not.toBe(incidentId(CHECK, at(2)));
    expect(incidentId('checkout/web', at(2))).not.toBe(incidentId(CHECK, at(2)));
  });

  it('re-applying the same result to the same previous state yields identical effects and keys', () => {
    const p = policy({ channels: [{ id: 'team' }, { id: 'hook' }], reactions: [{ id: 'reboot-web', after: 2, cooldownMs: 15 * MIN }] });
    const before = trace(p, [ok(0), fail(1)]).state!;
    const first = evaluate(before, fail(2), p);
    const again = evaluate(before, fail(2), p);
    expect(first.effects.length).toBe(3); // two notifications, one reaction
    expect(again).toEqual(first);
    expect(again.effects.map((e) => e.key)).toEqual(first.effects.map((e) => e.key));
    // Same for the resolution.
    const resolvedOnce = evaluate(first.state, ok(3), p);
    const resolvedTwice = evaluate(first.state, ok(3), p);
    expect(resolvedTwice.effects.map((e) => e.key)).toEqual(resolvedOnce.effects.map((e) => e.key));
    expect(resolvedOnce.effects).toHaveLength(2);
  });

  // Streams and SQS deliver at least once: a result not newer than the last one that changed its
  // region is a duplicate (or arrived late) and changes nothing.
  it('a re-delivered failed round (same region, same at) is not counted as a second failed round', () => {
    const t = trace(policy({ failures: 2 }), [ok(0), fail(1), fail(1)]);
    expect(t.opened).toEqual([]);
  });

  it('a result older than the region\'s last change is ignored, in every region independently', () => {
    const p = policy({ regions: [US, EU], quorum: 1, failures: 1 });
    const t = trace(p, [ok(10, US), fail(5, US), ok(3, EU)]);
    expect(t.opened).toEqual([]);
    expect(t.state!.regions[US]!.status).toBe('up');
    expect(t.state!.regions[EU]!.status).toBe('up');
  });
});

describe('what the reducer remembers per region', () => {
  it('remembers the first failed round\'s reason while up, and the confirming round\'s once down (RegionState.reason)', () => {
    const p = policy({ failures: 3 });
    const early = trace(p, [ok(0), fail(1, 'local', 'timed out after 10s'), fail(2, 'local', REASON)]);
    expect(early.state!.regions.local!.reason).toBe('timed out after 10s');
    const confirmed = trace(p, [ok(0), fail(1, 'local', 'timed out after 10s'), fail(2, 'local', 'connection reset'), fail(3, 'local', REASON)]);
    expect(confirmed.state!.regions.local!.status).toBe('down');
    expect(confirmed.state!.regions.local!.reason).toBe(REASON);
  });

  // A region that left the config (settings.regions changed) keeps its stored failure count; the
  // incident quorum ignores it, but the reaction quorum counts it.
  it('a region no longer in the policy does not count towards the reaction quorum', () => {
    const p = policy({ regions: [US, EU, AP], quorum: 2, reactions: [{ id: 'reboot-web', after: 1, cooldownMs: 0 }] });
    const stale = trace(policy({ regions: ['sa-east-1', US, EU, AP], quorum: 2 }), [fail(0, 'sa-east-1')]).state!;
    const t = trace(p, [fail(1, US)], stale);
    expect(t.state!.incident).toBeNull(); // the incident quorum is right: one policy region failing
    expect(reacts(t.effects)).toEqual([]);
  });
});
