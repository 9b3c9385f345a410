/**
 * `expect.body` matched while the body streams in, in bounded memory: 200 probes that each held a
 * 1 MiB body (and its string) could exhaust a 256 MB Lambda. The matcher keeps the last
 * BODY_WINDOW_CHARS characters, tests the pattern over them plus each new chunk, and keeps nothing
 * once it matched.
 *
 * What that means for a pattern: a body that fits in the window is matched exactly as a whole. In a
 * longer body every match up to BODY_WINDOW_CHARS long is found, wherever it lies (across chunk
 * boundaries too); `^` and `$` keep meaning the start and the end of the body. A longer match may be
 * missed, and lookarounds see at most the window. Memory per body: the window, plus the text read
 * since the last test (at least SCAN_CHARS, so that a server dribbling tiny chunks costs no more
 * tests than one sending large ones).
 */
import { StringDecoder } from 'node:string_decoder';

/** The window, in characters (UTF-16 code units): matches shorter than this are always found. */
export const BODY_WINDOW_CHARS = 16 * 1024;
/** New text gathered before the pattern is tested again. */
const SCAN_CHARS = 16 * 1024;

const searchables = new WeakMap<RegExp, RegExp>();

/**
 * A copy with `g`, so that a search can begin after the window's first character (`y` dropped:
 * config patterns carry no flags). One per configured pattern, shared by every probe of the check:
 * `scan` sets `lastIndex` and calls `exec` in one synchronous step, so sharing it is safe.
 */
function searchable(pattern: RegExp): RegExp {
  let copy = searchables.get(pattern);
  if (!copy) {
    copy = new RegExp(pattern.source, `${pattern.flags.replace(/[gy]/g, '')}g`);
    searchables.set(pattern, copy);
  }
  return copy;
}

export class BodyMatcher {
  private readonly pattern: RegExp;
  private readonly decoder = new StringDecoder('utf8');
  /** The last characters read, not yet ruled out as the start of a match. */
  private tail = '';
  /** Text read since the last test. */
  private pending = '';
  /** Whether `tail` begins at the body's first character (where `^` may match). */
  private tailAtStart = true;
  private found = false;

  private readonly windowChars: number;
  private readonly scanChars: number;

  /** `limits` are for tests: production uses the defaults. */
  constructor(pattern: RegExp, limits: { windowChars?: number; scanChars?: number } = {}) {
    this.windowChars = limits.windowChars ?? BODY_WINDOW_CHARS;
    this.scanChars = limits.scanChars ?? SCAN_CHARS;
    this.pattern = searchable(pattern);
  }

  get matched(): boolean {
    return this.found;
  }

  /** Feed the next bytes of the body. */
  write(chunk: Buffer): void {
    if (this.found) return;
    this.pending += this.decoder.write(chunk);
    if (this.pending.length >= this.scanChars) this.scan(false);
  }

  /** The body ended (or was cut at the read limit): whether the pattern matched. */
  end(): boolean {
    if (!this.found) {
      this.pending += this.decoder.end();
      this.scan(true);
    }
    this.tail = '';
    return this.found;
  }

  private scan(final: boolean): void {
    const window = this.tail + this.pending;
    this.pending = '';
    // Past the body's start, position 0 of the window is not where `^` may match; it was a
    // candidate start in the previous window already.
    this.pattern.lastIndex = this.tailAtStart ? 0 : 1;
    const m = this.pattern.exec(window);
    // A match that ends at the window's end may owe it to the end (`$`, `\b`, a lookahead): it
    // counts only at the body's true end; until then the next window tests it again.
    if (m && (final || m.index + m[0].length < window.length)) {
      this.found = true;
      this.tail = '';
      return;
    }
    if (window.length > this.windowChars) {
      this.tail = window.slice(window.length - this.windowChars);
      this.tailAtStart = false;
    } else {
      this.tail = window;
    }
  }
}
