/**
 * Durations in monitors.yaml are strings: `500ms`, `30s`, `5m`, `24h`, `7d`, or a sum such as `1h30m`.
 */
const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;
/** The whole-string form, also used by the JSON Schema so editors flag bad durations. */
export const DURATION_PATTERN = '^(\\d+(\\.\\d+)?(ms|s|m|h|d))+$';
const WHOLE = new RegExp(DURATION_PATTERN);

export class DurationError extends Error {
  override name = 'DurationError';
  readonly code = 'DURATION_INVALID';
}

/**
 * Parse a duration string to milliseconds.
 * @throws DurationError with a message that quotes the bad value.
 * @example parseDuration('1h30m') // 5_400_000
 */
export function parseDuration(text: string): number {
  if (typeof text !== 'string' || !WHOLE.test(text)) {
    let shown: string;
    try {
      shown = String(text);
    } catch {
      shown = '[object without a prototype]'; // String() itself throws for Object.create(null)
    }
    throw new DurationError(`"${shown}" is not a duration (use a number and a unit: 500ms, 30s, 5m, 24h, 7d)`);
  }
  let total = 0;
  for (const [, amount, unit] of text.matchAll(PART)) {
    total += Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS];
  }
  if (!Number.isFinite(total)) throw new DurationError(`"${text}" is too long a duration`);
  return Math.round(total);
}

/** Format milliseconds for people: `1h 5m`, `42s`, `350ms`. */
export function formatDuration(ms: number): string {
  if (Math.round(ms) < 1_000) return `${Math.round(ms)}ms`;
  let s = Math.round(ms / 1_000);
  const parts: string[] = [];
  for (const [unit, size] of [['d', 86_400], ['h', 3_600], ['m', 60]] as const) {
    if (s >= size) {
      parts.push(`${Math.floor(s / size)}${unit}`);
      s %= size;
    }
  }
  if (s > 0 || parts.length === 0) parts.push(`${s}s`);
  return parts.join(' ');
}
