/**
 * Durations in monitors.yaml are strings: `500ms`, `30s`, `5m`, `24h`, `7d`, or a sum such as `1h30m`.
 */
const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;
/** The whole-string form, also used by the JSON Schema so editors flag bad durations. */
export const DURATION_PATTERN = '^(\\d+(\\.\\d+)?(ms|s|m|h|d))+$';
const WHOLE = new RegExp(DURATION_PATTERN);

/** What every duration error ends with: what a duration looks like. */
export const DURATION_HINT = '(use a number and a unit: 500ms, 30s, 5m, 24h, 7d)';

/** Durations already read, by their text. */
const parsed = new Map<string, number>();

export class DurationError extends Error {
  override name = 'DurationError';
  readonly code = 'DURATION_INVALID';
}

/**
 * Parse a duration string to milliseconds.
 * @throws DurationError with a message that quotes the bad value, suggests a fix when one is
 * likely (`"10"` -> `10s`, `"5 minutes"` -> `5m`) and shows the accepted form.
 * @example parseDuration('1h30m') // 5_400_000
 */
export function parseDuration(text: string): number {
  const known = typeof text === 'string' ? parsed.get(text) : undefined;
  if (known !== undefined) return known;
  if (typeof text !== 'string' || !WHOLE.test(text)) throw new DurationError(durationMessage(text));
  let total = 0;
  for (const [, amount, unit] of text.matchAll(PART)) {
    total += Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS];
  }
  if (!Number.isFinite(total)) throw new DurationError(`"${text}" is too long a duration`);
  // A config of 10,000 checks spells the same few durations thousands of times.
  if (parsed.size >= 1_000) parsed.clear();
  parsed.set(text, Math.round(total));
  return Math.round(total);
}


/**
 * Why a value is not a duration, in words: `10 is not a duration: write 10s for 10 seconds (use a
 * number and a unit: ...)`. A YAML number is shown bare, anything else quoted.
 */
export function durationMessage(value: unknown): string {
  let shown: string;
  try {
    shown = typeof value === 'number' ? String(value) : `"${String(value)}"`;
  } catch {
    shown = '"[object without a prototype]"'; // String() itself throws for Object.create(null)
  }
  const fix = suggestDuration(value);
  return `${shown} is not a duration${fix ? `: ${fix}` : ''} ${DURATION_HINT}`;
}

const UNIT_WORDS: [RegExp, string][] = [
  [/^(ms|msecs?|millis|milliseconds?)$/, 'ms'],
  [/^(s|secs?|seconds?)$/, 's'],
  [/^(m|mins?|minutes?)$/, 'm'],
  [/^(h|hrs?|hours?)$/, 'h'],
  [/^(d|days?)$/, 'd'],
];

/** A likely fix for a value that is not a duration, or undefined when there is no good guess. */
function suggestDuration(value: unknown): string | undefined {
  const bare = typeof value === 'number' ? value : typeof value === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(value) ? Number(value) : undefined;
  if (bare !== undefined) {
    if (!Number.isFinite(bare) || bare < 0) return undefined;
    // A bare number has no unit: a small one likely means seconds (`timeout: 10`), a larger one may
    // be milliseconds (`maxLatency: 800`).
    return bare >= 100 ? `write ${bare}ms for milliseconds or ${bare}s for seconds` : `write ${bare}s for ${bare} second${bare === 1 ? '' : 's'}`;
  }
  if (typeof value !== 'string') return undefined;
  // "5 minutes", "1h 30m", "30S", "10sec": numbers followed by unit words, spaces between.
  const parts = [...value.trim().toLowerCase().matchAll(/(\d+(?:\.\d+)?)\s*([a-z]+)\s*/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== value.trim().toLowerCase()) return undefined;
  let fixed = '';
  for (const [, amount, word] of parts) {
    const unit = UNIT_WORDS.find(([re]) => re.test(word!))?.[1];
    if (!unit) return undefined;
    fixed += `${amount}${unit}`;
  }
  return fixed !== value && WHOLE.test(fixed) ? `did you mean ${fixed}?` : undefined;
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
