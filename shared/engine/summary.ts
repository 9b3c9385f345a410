/** Check states at a glance: the state the API shows per check, and the periodic digest. */
import type { CheckState, Incident, Summary } from '../types.ts';

export type OverallState = 'up' | 'down' | 'degraded' | 'pending';

/** down: an open incident; degraded: some region failing without one; pending: no result yet. */
export function overallState(state: CheckState | undefined, hasResults: boolean): OverallState {
  if (state?.incident) return 'down';
  if (!hasResults) return 'pending';
  const failing = Object.values(state?.regions ?? {}).some((r) => r.status === 'down' || r.failures > 0);
  return failing ? 'degraded' : 'up';
}

export function buildSummary(input: {
  checks: string[];
  states: Map<string, CheckState>;
  withResults: Set<string>;
  /** Recent incidents, any order. */
  incidents: Incident[];
  now: number;
  periodMs: number;
}): Summary {
  const counts = { up: 0, down: 0, degraded: 0, pending: 0 };
  const open: Summary['open'] = [];
  for (const id of input.checks) {
    const st = input.states.get(id);
    counts[overallState(st, input.withResults.has(id))]++;
    if (st?.incident) open.push({ check: id, since: st.incident.openedAt, reason: st.incident.reason });
  }
  open.sort((a, b) => a.since.localeCompare(b.since));
  const from = input.now - input.periodMs;
  const within = (iso: string | null) => iso !== null && Date.parse(iso) >= from && Date.parse(iso) <= input.now;
  return {
    at: new Date(input.now).toISOString(),
    periodSeconds: Math.round(input.periodMs / 1000),
    checks: input.checks.length,
    ...counts,
    open,
    opened: input.periodMs > 0 ? input.incidents.filter((i) => within(i.openedAt)).length : 0,
    resolved: input.periodMs > 0 ? input.incidents.filter((i) => within(i.resolvedAt)).length : 0,
  };
}
