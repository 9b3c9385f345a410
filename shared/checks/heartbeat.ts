import { z } from 'zod';
import { duration } from '../config/fields.ts';
import { defineCheckKind } from './kind.ts';
import { probes } from './probes.ts';

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
  probe: probes.heartbeat,
});
