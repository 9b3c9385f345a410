/** Heartbeat probes: late when no ping came within `every + grace`, or failed when the job said so. */
import { formatDuration, parseDuration } from '../kit/duration.ts';
import type { ProbeAttempt, ProbeContext } from './kind.ts';

export async function probeHeartbeat(spec: { every: string; grace: string }, ctx: ProbeContext): Promise<ProbeAttempt> {
  const allowed = parseDuration(spec.every) + parseDuration(spec.grace);
  const last = ctx.lastPing(ctx.checkId);
  // A failure the job reported stays a failure until the job pings again.
  const failure = ctx.lastFailure?.(ctx.checkId);
  if (failure && (last === undefined || failure.at >= last)) return { ok: false, latencyMs: 0, reason: failure.message, confirmed: true };
  const since = last ?? ctx.watchingSince(ctx.checkId);
  const age = ctx.now() - since;
  if (age <= allowed) return { ok: true, latencyMs: 0, note: last ? `last ping ${formatDuration(age)} ago` : 'waiting for the first ping' };
  const reason = last
    ? `no ping for ${formatDuration(age)} (expected every ${spec.every}${spec.grace !== '0s' ? ` + ${spec.grace} grace` : ''})`
    : `no ping received in ${formatDuration(age)} since monitoring began (expected every ${spec.every})`;
  return { ok: false, latencyMs: 0, reason, confirmed: true };
}
