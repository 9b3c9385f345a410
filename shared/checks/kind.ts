/**
 * What a check kind is: everything Pagerless knows about `http:`, `tcp:`, `heartbeat:` ... lives
 * on its descriptor, in its own module. No zod here or in the kind modules (type imports only): the
 * Lambda prober bundles the table without it.
 */
import type { z } from 'zod';
import type * as fields from '../kit/fields.ts';
import type { Observation } from './assertions.ts';
import type { PhaseTimings } from '../types.ts';
import type { NameResolver } from '../kit/resolver.ts';

/** What a probe needs from the world besides its own spec. */
export interface ProbeContext {
  /** `service/check`. */
  checkId: string;
  timeoutMs: number;
  /** The region probing (`local` on one machine). */
  region?: string;
  /** The check's `expect.body`: a probe that reads a body tests it as the body streams in (`bodyMatched`). */
  bodyPattern?: RegExp;
  /** How host names become addresses. @default systemResolver: the system's DNS servers and /etc/hosts */
  resolver?: NameResolver;
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

export type Probe<Spec = any> = (spec: Spec, ctx: ProbeContext) => Promise<ProbeAttempt>;

/**
 * What a kind builds its schema from: zod and the shared field types (shared/kit/fields.ts).
 * Handed in by shared/config/schema.ts, so that no kind module imports zod.
 */
export type SchemaKit = { z: typeof z } & typeof fields;

/** Where a config runs: `pagerless run` on one machine, or the serverless pipeline. */
export type Runtime = 'local' | 'aws';

/** The keys of `expect:` (shared/config/schema.ts); a kind lists those its observations can be judged by. */
export type ExpectKey = 'status' | 'body' | 'maxLatency' | 'certDays';

export interface IntervalRule {
  /** `validate` rejects an interval shorter than this. */
  readonly minMs: number;
  /** Rounds run at most this often: a shorter interval is accepted and rounded up. @default no rounding */
  readonly roundsAtLeastMs?: number;
}

/**
 * How a kind's results come about, which decides what the scheduler does with it every interval:
 * - `probe`: it is probed from every region (http, tcp).
 * - `deadline`: it is judged in one place against what was pushed (heartbeats: a ping is late).
 * - `none`: it is never scheduled; another tool pushes its results (webhook).
 */
export type Schedule = 'probe' | 'deadline' | 'none';

/**
 * One check kind: the key it takes in a check (`http:`, `tcp:` ...), the schema of its value, its
 * capabilities, and how to probe it. Registered in the one table, shared/checks/index.ts.
 */
export interface CheckKind<S extends z.ZodType = z.ZodType> {
  readonly kind: string;
  /** The schema of the kind's value, built from the kit. Called once, by shared/config/schema.ts. */
  schema(kit: SchemaKit): S;
  readonly schedule: Schedule;
  /**
   * A failure arrives already confirmed (the job reported it, or a deadline passed, or another tool
   * decided): one round opens the incident, without `failures` or a quorum of regions.
   */
  readonly failuresConfirmed: boolean;
  /** The `expect:` keys a check of this kind accepts; others are an error at `validate`. */
  readonly expect: readonly ExpectKey[];
  /** What a check expects when it writes no `expect.status`. @default no status expectation */
  readonly defaultStatus?: string;
  /** Interval rules per runtime, for scheduled kinds. @default none: the kind has no rounds */
  readonly interval?: Readonly<Record<Runtime, IntervalRule>>;
  /** Kinds pinged at `/ping/{token}`: the spec key that holds the token, and how often pings should come. */
  readonly ping?: { readonly tokenKey: keyof z.output<S> & string; everyMs(spec: z.output<S>): number };
  /** Kinds whose results are pushed to `/hooks/{source}`: the spec key that names the source. */
  readonly hook?: { readonly sourceKey: keyof z.output<S> & string };
  /** A short description of the target, for tables and alerts (redacted by the config compiler). */
  target(spec: z.output<S>): string;
  /** One attempt. Present for every scheduled kind; never called for `schedule: 'none'`. */
  probe?: Probe<z.output<S>>;
}

/** The spec type a kind's schema produces. */
export type SpecOf<K> = K extends CheckKind<infer S> ? z.output<S> : never;

/** A kind, with the deprecated `mode` derived from `schedule` for callers that still read it. */
export type DefinedCheckKind<S extends z.ZodType> = CheckKind<S> & {
  /** @deprecated use isScheduled / isProbed from shared/checks/index.ts */
  readonly mode: 'probe' | 'push';
};

export function defineCheckKind<S extends z.ZodType>(kind: CheckKind<S>): DefinedCheckKind<S> {
  return { ...kind, mode: kind.schedule === 'none' ? 'push' : 'probe' };
}
