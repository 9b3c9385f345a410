import { z } from 'zod';
import { duration } from '../config/fields.ts';
import { formatDuration, parseDuration } from '../config/duration.ts';
import { defineCheckKind } from './kind.ts';

/**
 * Heartbeats (cron jobs, backups): the job calls `/ping/{token}`; the check fails when no ping came
 * within `every + grace`. Lateness is already the tolerance, so a missed heartbeat is confirmed at once.
 */
export const heartbeat = defineCheckKind({
  kind: 'heartbeat',
  mode: 'probe',
  schema: z.strictObject({
    token: z.string().min(8, 'must be at least 8 characters (it is the only secret of /ping/{token})').regex(/^[A-Za-z0-9_.~-]+$/, 'must be URL-safe: letters, digits, _ . ~ -'),
    every: duration,
    /** Extra time allowed after `every`. @default 0s */
    grace: duration.default('0s'),
  }),
  target: (spec) => `ping every ${spec.every}${spec.grace !== '0s' ? ` + ${spec.grace}` : ''}`,
  async probe(spec, ctx) {
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
  },
});
