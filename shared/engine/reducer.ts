/**
 * The incident engine: a pure reducer `(state, result, policy) -> { state, effects }`.
 * Per (check, region): consecutive failures and recoveries; across regions: a quorum. Exactly one
 * incident per outage; effects (notify, react) are data with idempotency keys, executed elsewhere.
 */
import { formatDuration } from '../config/duration.ts';
import type { CheckState, Effect, Incident, NotifyEventName, ProbeResult, RegionState, Severity } from '../types.ts';

/** The region name of pushed results (hooks, pings, missed heartbeats). */
export const PUSH_REGION = 'push';

/** What the reducer needs to know about a check; compiled from the config. */
export interface CheckPolicy {
  check: string;
  service: string;
  group: string | null;
  severity: Severity;
  /** Regions whose probes count towards the quorum. */
  regions: string[];
  failures: number;
  recoveries: number;
  /** Regions that must be down to open an incident (already capped at `regions.length`). */
  quorum: number;
  /** Alert channels, each with the events it takes (undefined = every event). */
  channels: { id: string; events?: readonly string[] }[];
  reactions: { id: string; after: number; cooldownMs: number; revert?: boolean }[];
}

export interface Transition {
  state: CheckState;
  effects: Effect[];
  /** False when nothing worth persisting changed (steady state): no write needed. */
  changed: boolean;
  opened?: Incident;
  /** With `opened`: when the outage began (the first failed round of the regions now failing). */
  outageStartedAt?: number;
  resolved?: Incident;
}

export function initialState(check: string): CheckState {
  return { check, version: 0, regions: {}, incident: null, reactions: {} };
}

/** Apply one probe result. Never mutates `previous`. */
export function evaluate(previous: CheckState | undefined, result: ProbeResult, policy: CheckPolicy): Transition {
  const before = previous ?? initialState(policy.check);
  const state: CheckState = {
    ...before,
    regions: { ...before.regions },
    reactions: { ...before.reactions },
  };
  let changed = previous === undefined;
  const effects: Effect[] = [];
  const confirmed = result.pushed === true;

  // 0. At-least-once delivery (SQS, streams) and regions racing: a result not newer than the last one
  //    that changed this region is a duplicate or stale. Pushed results are idempotent, so only older ones go.
  //    Ordered by `seq` (monotonic), not by the wall clock: a clock stepped back must not make every
  //    new result look stale.
  const order = result.seq ?? result.at;
  const prior = before.regions[result.region];
  const seen = prior ? (prior.seq ?? prior.at) : undefined;
  if (seen !== undefined && (confirmed ? order < seen : order <= seen)) {
    return { state: before, effects: [], changed: false };
  }

  // 1. The region's own state machine.
  const old: RegionState = before.regions[result.region] ?? { status: 'pending', failures: 0, successes: 0, since: result.at, at: result.at };
  const region: RegionState = { ...old };
  const maxAfter = policy.reactions.reduce((m, r) => Math.max(m, r.after), 0);
  if (result.ok) {
    region.failures = 0;
    delete region.failingSince;
    region.successes = Math.min(old.successes + 1, policy.recoveries);
    if (old.status === 'pending' || (old.status === 'down' && (confirmed || region.successes >= policy.recoveries))) {
      region.status = 'up';
      region.since = result.at;
      delete region.reason;
    }
  } else {
    region.successes = 0;
    region.failures = Math.min(old.failures + 1, Math.max(policy.failures, maxAfter));
    if (old.failures === 0) {
      region.reason = result.reason;
      region.failingSince = result.at;
    }
    if (old.status !== 'down' && (confirmed || region.failures >= policy.failures)) {
      region.status = 'down';
      region.since = result.at;
      region.reason = result.reason;
    }
  }
  if (!sameRegion(old, region) || !(result.region in before.regions)) {
    region.at = result.at;
    region.seq = order;
    state.regions[result.region] = region;
    changed = true;
  }

  // 2. Across regions: open or resolve the one incident.
  const statuses = regionStatuses(state, policy);
  const downCount = Object.entries(state.regions).filter(([name, r]) => r.status === 'down' && (name === PUSH_REGION || policy.regions.includes(name))).length;
  const pushedDown = state.regions[PUSH_REGION]?.status === 'down';
  const outage = pushedDown || downCount >= policy.quorum;
  let opened: Incident | undefined;
  let outageStartedAt: number | undefined;
  let resolved: Incident | undefined;
  if (!before.incident && outage) {
    outageStartedAt = Math.min(result.at, ...Object.values(state.regions).map((r) => r.failingSince ?? Infinity));
    opened = {
      id: incidentId(policy.check, result.at),
      check: policy.check,
      service: policy.service,
      group: policy.group,
      severity: policy.severity,
      startedAt: new Date(outageStartedAt).toISOString(),
      openedAt: new Date(result.at).toISOString(),
      resolvedAt: null,
      durationSeconds: null,
      reason: result.ok ? (region.reason ?? 'down') : result.reason,
      regions: statuses,
      ...(result.traceId ? { traceId: result.traceId } : {}),
    };
    state.incident = opened;
    state.alerted = policy.channels.map((c) => c.id);
    changed = true;
    effects.push(...notify(opened, 'incident.opened', policy));
  } else if (before.incident && !outage) {
    resolved = resolveIncident(before.incident, result.at, statuses);
    state.incident = null;
    delete state.alerted;
    changed = true;
    effects.push(...notify(resolved, 'incident.resolved', policy));
    // Undo what was changed for this outage (a DNS failover), once, after the resolution.
    for (const r of policy.reactions) {
      const ledger = state.reactions[r.id];
      if (!r.revert || !ledger?.needsRevert) continue;
      state.reactions[r.id] = { ...ledger, needsRevert: false };
      const announceTo = policy.channels.filter((c) => wants(c, 'reaction.ran')).map((c) => c.id);
      effects.push({ kind: 'react', key: `${policy.check}:${r.id}:revert:${result.seq ?? result.at}`, reaction: r.id, check: policy.check, incident: resolved, decision: 'revert', why: `incident resolved after ${resolved.durationSeconds}s`, announceTo });
    }
  } else if (before.incident && !sameStatuses(before.incident.regions, statuses)) {
    state.incident = { ...before.incident, regions: statuses };
    changed = true;
  }

  // 3. Reactions: when enough regions fail now and this region failed `after` rounds in a row.
  if (!result.ok) {
    const failingNow = Object.entries(state.regions).filter(([name, r]) => r.failures > 0 && (name === PUSH_REGION || policy.regions.includes(name))).length;
    if (confirmed || failingNow >= policy.quorum) {
      // Cooldowns are measured on the results' order, never on the wall clock: a clock stepped back
      // an hour must not silence a reaction for an hour (`seq` is time-like; `at` without one).
      const t = result.seq ?? result.at;
      for (const r of policy.reactions) {
        if (!confirmed && region.failures < r.after) continue;
        const ledger = state.reactions[r.id] ?? {};
        const lastRun = ledger.lastRunAt;
        if ((lastRun !== undefined && t <= lastRun) || (ledger.lastSkipAt !== undefined && t <= ledger.lastSkipAt)) continue;
        const announceTo = policy.channels.filter((c) => wants(c, 'reaction.ran')).map((c) => c.id);
        if (lastRun === undefined || t - lastRun >= r.cooldownMs) {
          state.reactions[r.id] = { lastRunAt: t, ...(r.revert ? { needsRevert: true } : {}) };
          const why = confirmed ? `confirmed failure: ${result.reason}` : `${region.failures} consecutive failed round${region.failures > 1 ? 's' : ''} in ${result.region}: ${result.reason}`;
          effects.push({ kind: 'react', key: `${policy.check}:${r.id}:${t}`, reaction: r.id, check: policy.check, incident: state.incident, decision: 'run', why, announceTo });
          changed = true;
        } else if (ledger.lastSkipAt === undefined || ledger.lastSkipAt < lastRun) {
          // Record the cooldown once per window, not on every failed round.
          state.reactions[r.id] = { ...ledger, lastSkipAt: t };
          const wait = formatDuration(lastRun + r.cooldownMs - t);
          const why = `in cooldown: ran ${formatDuration(t - lastRun)} ago, may run again in ${wait}`;
          // Recorded in the timeline, never sent: "executed" then "skipped" a second later is noise.
          effects.push({ kind: 'react', key: `${policy.check}:${r.id}:${t}`, reaction: r.id, check: policy.check, incident: state.incident, decision: 'skip', why, announceTo: [] });
          changed = true;
        }
      }
    }
  }

  return { state, effects, changed, opened, outageStartedAt, resolved };
}

/** The incident closed at `at`: its duration is the outage's, from its first failed round. */
export function resolveIncident(incident: Incident, at: number, regions: Incident['regions'] = incident.regions): Incident {
  const from = Date.parse(incident.startedAt ?? incident.openedAt);
  return {
    ...incident,
    regions,
    resolvedAt: new Date(at).toISOString(),
    // Never negative, even when the wall clock stepped back during the outage.
    durationSeconds: Math.max(0, Math.round((at - from) / 1000)),
  };
}

/** Each region's status for the incident record; policy regions that never reported are pending. */
export function regionStatuses(state: CheckState, policy: CheckPolicy): Incident['regions'] {
  const out: Incident['regions'] = {};
  for (const name of policy.regions) out[name] = state.regions[name]?.status ?? 'pending';
  if (state.regions[PUSH_REGION]) out[PUSH_REGION] = state.regions[PUSH_REGION].status;
  return out;
}

/** Deterministic, so a re-delivered result that opens the same outage yields the same id (and keys). */
export function incidentId(check: string, at: number): string {
  return `${check.replace('/', '.')}.${at.toString(36)}`;
}

function notify(incident: Incident, event: NotifyEventName, policy: CheckPolicy): Effect[] {
  return policy.channels
    .filter((c) => wants(c, event))
    .map((c) => ({ kind: 'notify' as const, key: `${incident.id}:${event}:${c.id}`, channel: c.id, payload: { event, incident } }));
}

function wants(channel: { events?: readonly string[] }, event: NotifyEventName): boolean {
  return channel.events === undefined || channel.events.includes(event);
}

function sameRegion(a: RegionState, b: RegionState): boolean {
  return a.status === b.status && a.failures === b.failures && a.successes === b.successes && a.since === b.since
    && a.reason === b.reason && a.failingSince === b.failingSince;
}

function sameStatuses(a: Incident['regions'], b: Incident['regions']): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}
