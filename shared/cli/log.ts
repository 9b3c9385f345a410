import type { Logger } from '../engine/effects.ts';

/** Log lines for people on stderr: `2026-11-22T03:04:05.000Z WARN message key=value`. */
export function createLogger(write: (line: string) => void, now: () => Date = () => new Date()): Logger {
  const line = (level: string, message: string, fields?: Record<string, unknown>) => {
    const extra = fields ? Object.entries(fields).map(([k, v]) => ` ${k}=${typeof v === 'string' && !/\s/.test(v) ? v : JSON.stringify(v)}`).join('') : '';
    write(`${now().toISOString()} ${level} ${message}${extra}`);
  };
  return {
    info: (m, f) => line('INFO', m, f),
    warn: (m, f) => line('WARN', m, f),
    error: (m, f) => line('ERROR', m, f),
  };
}
