/**
 * `expect.body` matched as the body streams in, over a bounded window: the verdicts a user gets for
 * bodies of any size and any chunking, and what the window bounds.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BODY_WINDOW_CHARS, BodyMatcher } from '../../shared/checks/body-match.ts';

const MiB = 1024 * 1024;

/** Stream `body` in chunks of `size` bytes (the last one shorter) and return the verdict. */
function streamed(body: string | Buffer, pattern: RegExp, size: number, limits?: { windowChars?: number; scanChars?: number }): boolean {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  const matcher = new BodyMatcher(pattern, limits);
  for (let at = 0; at < bytes.length; at += size) matcher.write(bytes.subarray(at, at + size));
  return matcher.end();
}

/** A 1 MiB body of filler with `needle` written at `at` bytes. */
function mebibyte(needle: string, at: number): Buffer {
  const body = Buffer.alloc(MiB, 'x');
  body.write(needle, at);
  return body;
}

describe('BodyMatcher on 1 MiB bodies in 64 KiB chunks (what a socket delivers)', () => {
  const pattern = /"status":\s*"green"/;
  const needle = '"status": "green"';

  it('finds a match at the start', () => {
    expect(streamed(mebibyte(needle, 0), pattern, 64 * 1024)).toBe(true);
  });

  it('finds a match at the very end', () => {
    expect(streamed(mebibyte(needle, MiB - needle.length), pattern, 64 * 1024)).toBe(true);
  });

  it('finds a match that straddles a chunk boundary', () => {
    expect(streamed(mebibyte(needle, 5 * 64 * 1024 - 7), pattern, 64 * 1024)).toBe(true);
  });

  it('reports no match when there is none', () => {
    expect(streamed(mebibyte('"status": "red"', MiB / 2), pattern, 64 * 1024)).toBe(false);
  });

  it('keeps `^` and `$` at the start and the end of the body, not of a window', () => {
    const body = mebibyte('END', MiB - 3);
    expect(streamed(body, /^x{10}/, 64 * 1024)).toBe(true);
    expect(streamed(body, /^END/, 64 * 1024)).toBe(false);
    expect(streamed(body, /END$/, 64 * 1024)).toBe(true);
    // Every window ends in x's, but only the body's end counts for `$`.
    expect(streamed(body, /x$/, 64 * 1024)).toBe(false);
    expect(streamed(mebibyte('ok', MiB / 2), /ok\b/, 64 * 1024)).toBe(false);
  });

  it('finds a match as long as the window allows, wherever it lies', () => {
    const long = `<${'y'.repeat(BODY_WINDOW_CHARS - 3)}>`;
    expect(long.length).toBe(BODY_WINDOW_CHARS - 1);
    expect(streamed(mebibyte(long, 300_001), /<y+>/, 64 * 1024)).toBe(true);
    expect(streamed(mebibyte(long, 300_001), /<y+>/, 1_000)).toBe(true);
  });
});

describe('BodyMatcher: chunking and characters', () => {
  it('finds a match split at every possible byte, in chunks down to one byte', () => {
    const body = `${'a'.repeat(40)}needle${'b'.repeat(40)}`;
    for (let size = 1; size <= body.length; size++) {
      expect(streamed(body, /needle/, size, { windowChars: 8, scanChars: 1 }), `chunks of ${size}`).toBe(true);
    }
  });

  it('decodes a multi-byte character split across chunks', () => {
    expect(streamed('prêt: ✓ ok', /✓ ok/, 1, { windowChars: 5, scanChars: 1 })).toBe(true);
  });

  it('gives the same verdict as testing the whole body, for matches shorter than the window', () => {
    const text = fc.string({ unit: fc.constantFrom('a', 'b', 'c', '\n', 'é'), maxLength: 300 });
    const pattern = fc.constantFrom(/abc/, /a.c/, /^ab/, /bc$/, /^a$/m, /c\nb/, /(?<=a)b/, /b(?!c)/, /éa/, /aab|cc/);
    fc.assert(
      fc.property(text, pattern, fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 20 }), (body, re, size, scanChars) => {
        expect(streamed(body, re, size, { windowChars: 16, scanChars })).toBe(re.test(body));
      }),
      { numRuns: 2_000 },
    );
  });

  it('keeps at most the window (plus the text since the last test) while it reads', () => {
    const matcher = new BodyMatcher(/never/, { windowChars: 1_000, scanChars: 100 });
    for (let i = 0; i < 1_000; i++) matcher.write(Buffer.alloc(50, 'z'));
    const held = (matcher as unknown as { tail: string; pending: string });
    expect(held.tail.length + held.pending.length).toBeLessThanOrEqual(1_000 + 100);
    expect(matcher.end()).toBe(false);
  });

  it('ignores a global pattern\'s lastIndex: the same verdict every time', () => {
    const re = /green/g;
    for (let i = 0; i < 3; i++) expect(streamed('status: green', re, 4)).toBe(true);
  });
});
