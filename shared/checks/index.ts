/**
 * The one table of check kinds. Adding a kind: write its module, add it here. Everything else asks
 * the helpers below, never `kind === '...'`. No zod is loaded from here (the Lambda prober imports it).
 */
import { heartbeat } from './heartbeat.ts';
import { http } from './http.ts';
import type { CheckKind, ExpectKey, Probe, Runtime } from './kind.ts';
import { tcp } from './tcp.ts';
import { webhook } from './webhook.ts';

export const checkKinds = { http, tcp, heartbeat, webhook } satisfies Record<string, CheckKind<any>>;
export type CheckKindName = keyof typeof checkKinds;
export const CHECK_KIND_NAMES = Object.keys(checkKinds) as CheckKindName[];

export type { CheckKind, ExpectKey, Probe, ProbeAttempt, ProbeContext, Runtime, Schedule } from './kind.ts';

/** What the helpers need of a check: a compiled check (shared/config/compile.ts) is one. */
export interface KindedCheck {
  kind: string;
  spec?: unknown;
}

/** The descriptor of a kind. @throws Error for a kind that is not in the table */
export function kindOf(kind: string): CheckKind<any> {
  const found = Object.hasOwn(checkKinds, kind) ? checkKinds[kind as CheckKindName] : undefined;
  if (!found) throw new Error(`unknown check kind "${kind}" (known: ${CHECK_KIND_NAMES.join(', ')})`);
  return found as CheckKind<any>;
}

/** The scheduler does something with it every interval: probes it, or judges its deadline. */
export function isScheduled(check: KindedCheck): boolean {
  return kindOf(check.kind).schedule !== 'none';
}

/** Probed from every region every interval (sent to probers; `pagerless check` runs it on demand). */
export function isProbed(check: KindedCheck): boolean {
  return kindOf(check.kind).schedule === 'probe';
}

/** Judged every interval in one place against what was pushed (heartbeats), not by probers. */
export function hasDeadline(check: KindedCheck): boolean {
  return kindOf(check.kind).schedule === 'deadline';
}

/** Its results come from pushes (pings, hooks), not from probing regions: one virtual region. */
export function isPushed(check: KindedCheck): boolean {
  return kindOf(check.kind).schedule !== 'probe';
}

/** A failed round is already confirmed: it opens the incident at once (failures, recoveries and quorum 1). */
export function failuresConfirmed(check: KindedCheck): boolean {
  return kindOf(check.kind).failuresConfirmed;
}

/** The shortest interval `validate` accepts for the kind in that runtime; undefined for kinds without rounds. */
export function minIntervalMs(kind: string, runtime: Runtime): number | undefined {
  return kindOf(kind).interval?.[runtime].minMs;
}

/** How often a check's rounds actually run in that runtime (its interval, rounded up where the kind says). */
export function roundIntervalMs(check: KindedCheck & { intervalMs: number }, runtime: Runtime): number {
  return Math.max(check.intervalMs, kindOf(check.kind).interval?.[runtime].roundsAtLeastMs ?? 0);
}

/** The `expect:` keys a kind accepts. */
export function expectKeysOf(kind: string): readonly ExpectKey[] {
  return kindOf(kind).expect;
}

/** The kinds that accept an `expect:` key, for error messages. */
export function kindsAccepting(key: ExpectKey): CheckKindName[] {
  return CHECK_KIND_NAMES.filter((k) => checkKinds[k].expect.includes(key as never));
}

/** The `/ping/{token}` token of a pinged check (heartbeats), or undefined. */
export function pingTokenOf(check: KindedCheck): string | undefined {
  const key = kindOf(check.kind).ping?.tokenKey;
  const token = key === undefined ? undefined : (check.spec as Record<string, unknown> | undefined)?.[key];
  return typeof token === 'string' ? token : undefined;
}

/** How often pings are expected for a pinged check (heartbeats: `every`), or undefined. */
export function pingEveryMs(check: KindedCheck): number | undefined {
  const ping = kindOf(check.kind).ping;
  return ping && check.spec ? ping.everyMs(check.spec) : undefined;
}

/** The `/hooks/{source}` source of a check whose results are pushed there (webhook), or undefined. */
export function hookSourceOf(check: KindedCheck): string | undefined {
  const key = kindOf(check.kind).hook?.sourceKey;
  const source = key === undefined ? undefined : (check.spec as Record<string, unknown> | undefined)?.[key];
  return typeof source === 'string' ? source : undefined;
}

/** The kind's probe, or undefined for kinds that are never probed. */
export function probeOf(check: KindedCheck): Probe | undefined {
  return kindOf(check.kind).probe;
}

/** The kind's short description of a spec's target (not redacted: the compiled check's `target` is). */
export function describeTarget(kind: string, spec: unknown): string {
  return kindOf(kind).target(spec);
}
