import type { z } from 'zod';
import type { Observation } from './assertions.ts';
import type { PhaseTimings } from '../types.ts';

/** What a probe needs from the world besides its own spec. */
export interface ProbeContext {
  /** `service/check`. */
  checkId: string;
  timeoutMs: number;
  /** The region probing (`local` on one machine). */
  region?: string;
  now(): number;
  /** Heartbeats: epoch ms of the last ping, or undefined when none came yet. */
  lastPing(checkId: string): number | undefined;
  /** Heartbeats: the last failure the job reported (`/ping/{token}/fail`), if any. */
  lastFailure?(checkId: string): { at: number; message: string } | undefined;
  /** Epoch ms when Pagerless began watching the check (a heartbeat's first deadline counts from here). */
  watchingSince(checkId: string): number;
}

/** A probe's observation, or a failure that happened before anything could be observed. */
export type ProbeAttempt =
  | ({ ok: true; timings?: PhaseTimings; traceId?: string; note?: string } & Observation)
  | { ok: false; reason: string; latencyMs: number; timings?: PhaseTimings; traceId?: string; confirmed?: boolean };

/**
 * One check kind: the key it takes in a check (`http:`, `tcp:` ...), the schema of its value, and
 * how to probe it. Passive kinds (`mode: 'push'`) are never probed: their state arrives by HTTP.
 */
export interface CheckKind<S extends z.ZodType = z.ZodType> {
  readonly kind: string;
  readonly schema: S;
  readonly mode: 'probe' | 'push';
  /** A short description of the target, for tables and alerts. */
  target(spec: z.infer<S>): string;
  probe?(spec: z.infer<S>, ctx: ProbeContext): Promise<ProbeAttempt>;
}

export function defineCheckKind<S extends z.ZodType>(kind: CheckKind<S>): CheckKind<S> {
  return kind;
}
