/** Scheduling arithmetic shared by the local scheduler and the AWS scheduler function. */
import { createHash } from 'node:crypto';

/** A stable fraction in [0, 1) per check id, so rounds are spread and stay put across restarts. */
export function spreadFraction(checkId: string): number {
  return createHash('sha1').update(checkId).digest().readUInt32BE(0) / 2 ** 32;
}

/**
 * Delay before a check's first round: spread over the first interval, but never more than 2 s,
 * so a new user sees every check's state seconds after `npm start`.
 */
export function firstRunDelay(checkId: string, intervalMs: number): number {
  return Math.floor(spreadFraction(checkId) * Math.min(intervalMs, 2_000));
}
