import { parseDuration } from '../kit/duration.ts';
import { probeHeartbeat } from './heartbeat-probe.ts';
import { defineCheckKind, type SchemaKit } from './kind.ts';

/**
 * Heartbeats (cron jobs, backups): the job calls `/ping/{token}`; the check fails when no ping came
 * within `every + grace`. Lateness is already the tolerance, so a missed heartbeat is confirmed at once.
 */
export const heartbeat = defineCheckKind({
  kind: 'heartbeat',
  schema: ({ z, duration }: SchemaKit) => z.strictObject({
    token: z.string().min(8, 'must be at least 8 characters (it is the only secret of /ping/{token})').regex(/^[A-Za-z0-9_.~-]+$/, 'must be URL-safe: letters, digits, _ . ~ -'),
    every: duration,
    /** Extra time allowed after `every`. @default 0s */
    grace: duration.default('0s'),
  }),
  schedule: 'deadline',
  failuresConfirmed: true,
  expect: [],
  // On AWS the scheduler judges deadlines once a minute, whatever the interval says.
  interval: { local: { minMs: 1_000 }, aws: { minMs: 1_000, roundsAtLeastMs: 60_000 } },
  ping: { tokenKey: 'token', everyMs: (spec) => parseDuration(spec.every) },
  target: (spec) => `ping every ${spec.every}${spec.grace !== '0s' ? ` + ${spec.grace}` : ''}`,
  probe: probeHeartbeat,
});
