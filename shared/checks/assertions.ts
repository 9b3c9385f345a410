/**
 * Assertions on what a probe observed (`expect:` in monitors.yaml). Each returns null when it holds,
 * or the reason it failed, worded for an alert.
 */
import { formatDuration } from '../kit/duration.ts';

/** What one probe saw, before any assertion. */
export interface Observation {
  latencyMs: number;
  status?: number;
  /**
   * Whether the body matched `expect.body`, tested by the probe while the body streamed in (see
   * body-match.ts); undefined when nothing was tested (no pattern, no body read: HEAD, tcp).
   */
  bodyMatched?: boolean;
  /** Epoch ms when the server's certificate stops being valid (HTTPS only). */
  certExpiresAt?: number;
}

/** `expect.status`: `2xx`, a list of codes, or a regular expression on the code. */
export type StatusMatcher =
  | { kind: 'class'; digits: number[]; text: string }
  | { kind: 'list'; codes: number[]; text: string }
  | { kind: 'regex'; regex: RegExp; text: string };

export interface Expectations {
  status?: StatusMatcher;
  body?: RegExp;
  maxLatencyMs?: number;
  certDays?: number;
}

/** `2xx`, or several classes: `2xx|3xx`. */
export const STATUS_CLASSES = /^[1-5]xx(\|[1-5]xx)*$/i;

/** Build a status matcher from the config value. Throws a SyntaxError on a bad regex. */
export function statusMatcher(value: string | number | number[]): StatusMatcher {
  if (typeof value === 'number') return { kind: 'list', codes: [value], text: String(value) };
  if (Array.isArray(value)) return { kind: 'list', codes: value, text: value.join(', ') };
  if (STATUS_CLASSES.test(value)) return { kind: 'class', digits: value.split('|').map((c) => Number(c[0])), text: value };
  // Matched against the whole code: "20" must not match 520 (writing ^...$ yourself is harmless).
  return { kind: 'regex', regex: new RegExp(`^(?:${value})$`), text: `/${value}/` };
}

export function statusMatches(m: StatusMatcher, status: number): boolean {
  switch (m.kind) {
    case 'class':
      return m.digits.includes(Math.floor(status / 100));
    case 'list':
      return m.codes.includes(status);
    case 'regex':
      return m.regex.test(String(status));
  }
}

const DAY_MS = 86_400_000;

/** A measured latency, precise enough never to read as the limit it exceeded: `800.4ms`, `1.4s`, `60.4s`. */
export function formatLatency(ms: number): string {
  if (ms < 1_000) return `${Number(ms.toFixed(1))}ms`;
  return `${Number((ms / 1_000).toFixed(ms < 100_000 ? 3 : 1))}s`;
}

export const assertions = {
  status(obs: Observation, e: Expectations): string | null {
    if (!e.status || obs.status === undefined) return null;
    return statusMatches(e.status, obs.status) ? null : `status ${obs.status} does not match ${e.status.text}`;
  },
  body(obs: Observation, e: Expectations): string | null {
    if (!e.body || obs.bodyMatched === undefined) return null;
    return obs.bodyMatched ? null : `body does not match /${e.body.source}/`;
  },
  maxLatency(obs: Observation, e: Expectations): string | null {
    if (e.maxLatencyMs === undefined || obs.latencyMs <= e.maxLatencyMs) return null;
    return `took ${formatLatency(obs.latencyMs)}, over the ${formatDuration(e.maxLatencyMs)} limit`;
  },
  certDays(obs: Observation, e: Expectations, now: number): string | null {
    if (e.certDays === undefined || obs.certExpiresAt === undefined) return null;
    const daysLeft = (obs.certExpiresAt - now) / DAY_MS;
    if (daysLeft >= e.certDays) return null;
    const on = new Date(obs.certExpiresAt).toISOString().slice(0, 10);
    return daysLeft < 0
      ? `certificate expired on ${on}`
      : `certificate expires in ${Math.floor(daysLeft)} day${Math.floor(daysLeft) === 1 ? '' : 's'} (on ${on}), under the ${e.certDays}-day minimum`;
  },
} satisfies Record<string, (obs: Observation, e: Expectations, now: number) => string | null>;

/** Every failed assertion's reason, in a fixed order (status first: it explains the rest). */
const ASSERTIONS = Object.values(assertions);

export function failedExpectations(obs: Observation, e: Expectations, now: number): string[] {
  const reasons: string[] = [];
  for (const assert of ASSERTIONS) {
    const reason = assert(obs, e, now);
    if (reason) reasons.push(reason);
  }
  return reasons;
}
