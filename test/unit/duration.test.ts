/**
 * Durations as monitors.yaml spells them (`500ms`, `30s`, `1h30m`) and as alerts print them (`1h 5m`).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DurationError, formatDuration, parseDuration } from '../../shared/config/duration.ts';

const HINT = '(use a number and a unit: 500ms, 30s, 5m, 24h, 7d)';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['5m', 300_000],
    ['24h', 86_400_000],
    ['7d', 604_800_000],
    ['1h30m', 5_400_000],
    ['1.5s', 1_500],
    ['0s', 0],
    ['1m1ms', 60_001],
  ])('reads %s as %i ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '5x', '-1s', 's', '1.s', '.5s', '1e3s', '10 parsecs', '1h 30x'])(
    'rejects %j with a DurationError that quotes the value and shows the accepted form',
    (text) => {
      expect(() => parseDuration(text)).toThrow(DurationError);
      expect(() => parseDuration(text)).toThrow(`"${text}" is not a duration ${HINT}`);
    },
  );

  it.each([
    ['10', 'write 10s for 10 seconds'],
    ['1', 'write 1s for 1 second'],
    ['800', 'write 800ms for milliseconds or 800s for seconds'],
    ['1 s', 'did you mean 1s?'],
    [' 30s', 'did you mean 30s?'],
    ['30s ', 'did you mean 30s?'],
    ['30S', 'did you mean 30s?'],
    ['1h 30m', 'did you mean 1h30m?'],
    ['5 minutes', 'did you mean 5m?'],
    ['2 hours', 'did you mean 2h?'],
    ['10sec', 'did you mean 10s?'],
    ['250 ms', 'did you mean 250ms?'],
    ['1 day', 'did you mean 1d?'],
  ])('rejects %j and suggests the fix: %s', (text, fix) => {
    expect(() => parseDuration(text)).toThrow(`"${text}" is not a duration: ${fix} ${HINT}`);
  });

  it('suggests only durations that parse, and always ends with the accepted form', () => {
    const words = fc.constantFrom('ms', 's', 'S', 'sec', 'secs', 'seconds', 'm', 'min', 'minutes', 'h', 'hours', 'd', 'days', 'x', 'parsecs', '');
    const part = fc.tuple(fc.integer({ min: 0, max: 10_000 }), fc.constantFrom('', ' ', '  '), words);
    fc.assert(fc.property(fc.array(part, { minLength: 1, maxLength: 3 }), fc.constantFrom('', ' '), (parts, pad) => {
      const text = pad + parts.map(([n, gap, w]) => `${n}${gap}${w}`).join(' ');
      let message: string | undefined;
      try {
        parseDuration(text);
      } catch (err) {
        message = (err as Error).message;
      }
      if (message === undefined) return; // it was a duration
      expect(message.endsWith(HINT)).toBe(true);
      const suggested = /did you mean (\S+)\?|write (\S+) for/.exec(message);
      if (suggested) expect(() => parseDuration((suggested[1] ?? suggested[2])!)).not.toThrow();
    }));
  });

  it.each([
    [30, '30 is not a duration: write 30s for 30 seconds'],
    [undefined, '"undefined" is not a duration'],
    [null, '"null" is not a duration'],
    [{}, '"[object Object]" is not a duration'],
    [true, '"true" is not a duration'],
  ])('rejects the non-string %o with a DurationError that shows it', (value, words) => {
    const call = () => parseDuration(value as unknown as string);
    expect(call).toThrow(DurationError);
    expect(call).toThrow(words);
  });

  // Regression: String(value) itself throws for an object without a prototype (a TypeError escaped).
  it('rejects an object without a prototype with a DurationError, not a TypeError', () => {
    expect(() => parseDuration(Object.create(null) as string)).toThrow(DurationError);
  });

  it('rejects an amount too large to represent, quoting it', () => {
    const huge = `${'9'.repeat(400)}d`;
    expect(() => parseDuration(huge)).toThrow(DurationError);
    expect(() => parseDuration(huge)).toThrow(`"${huge}" is too long a duration`);
  });

  it('names its error DurationError', () => {
    try {
      parseDuration('soon');
      expect.unreachable('parseDuration("soon") should throw');
    } catch (err) {
      expect(err).toBeInstanceOf(DurationError);
      expect((err as Error).name).toBe('DurationError');
    }
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0ms'],
    [350, '350ms'],
    [999, '999ms'],
    [1_000, '1s'],
    [42_000, '42s'],
    [59_999, '1m'],
    [61_000, '1m 1s'],
    [3_600_000, '1h'],
    [3_900_000, '1h 5m'],
    [86_400_000, '1d'],
    [90_061_000, '1d 1h 1m 1s'],
  ])('formats %i ms as %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  // Regression: values in [999.5, 1000) rounded up to 1000 but stayed on the millisecond branch.
  it('formats 999.6 ms as 1s, not "1000ms"', () => {
    expect(formatDuration(999.6)).toBe('1s');
  });
});
