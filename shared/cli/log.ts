import { printable } from '../channels/console.ts';
import type { Logger } from '../engine/effects.ts';

/** How the CLI logger writes; every option has a production default. */
export interface LoggerOptions {
  /** @default () => new Date() */
  readonly now?: () => Date;
  /**
   * Write `debug` lines (client aborts and other diagnostics).
   * @default true when the environment variable DEBUG is set and not empty
   */
  readonly debug?: boolean;
  /**
   * Applied to the message and every field value before they are written, e.g.
   * `createRedactor(secrets)` from kit/redact.ts.
   * @default no change
   */
  readonly redact?: (text: string) => string;
}

/** Tokens that never reach a log line, whatever the caller passed: a bearer token and the token of a /ping path. */
const TOKENS: [RegExp, string][] = [
  [/\b(Bearer)\s+[^\s"',;]+/gi, '$1 ***'],
  [/(\/ping\/)[A-Za-z0-9_.~%-]+/g, '$1***'],
];

/**
 * Log lines for people on stderr: `2026-11-22T03:04:05.000Z WARN message key=value`. One call is one
 * line: newlines and terminal control characters in a message (a hook's, a ping's) are escaped.
 * @example createLogger(process.stderr.write.bind(process.stderr), { redact: createRedactor(secrets) })
 */
export function createLogger(write: (line: string) => void, options: LoggerOptions = {}): Logger {
  const now = options.now ?? (() => new Date());
  const redact = options.redact ?? ((text: string) => text);
  const clean = (text: string) => redact(TOKENS.reduce((t, [pattern, by]) => t.replace(pattern, by), text));
  const value = (v: unknown) => {
    if (typeof v === 'string') {
      const s = clean(v);
      return /^[^\s"\\]*$/.test(s) ? printable(s) : printable(JSON.stringify(s));
    }
    return printable(clean(JSON.stringify(v) ?? String(v)));
  };
  const line = (level: string, message: string, fields?: Record<string, unknown>) => {
    const extra = fields ? Object.entries(fields).map(([k, v]) => ` ${printable(k)}=${value(v)}`).join('') : '';
    write(`${now().toISOString()} ${level} ${printable(clean(message))}${extra}`);
  };
  const debug = options.debug ?? Boolean(process.env.DEBUG);
  return {
    debug: debug ? (m, f) => line('DEBUG', m, f) : () => {},
    info: (m, f) => line('INFO', m, f),
    warn: (m, f) => line('WARN', m, f),
    error: (m, f) => line('ERROR', m, f),
  };
}
