/** The CLI logger and the console channel: one line per call, no terminal sequences, no tokens. */
import { afterEach, describe, expect, it } from 'vitest';
import { console as consoleChannel, printable } from '../../shared/channels/console.ts';
import { createLogger } from '../../shared/cli/log.ts';
import { createRedactor } from '../../shared/kit/redact.ts';
import type { Incident } from '../../shared/types.ts';

const AT = new Date('2026-11-22T03:04:05.000Z');
const FORGED = 'disk full\n2026-11-22T03:04:06.000Z ERROR forged\r\x1b[2J\x1b[31mred\u009b1m\u2028end';

// The default of `debug` reads DEBUG: restore it after the test that sets it.
const saved = process.env.DEBUG;
afterEach(() => {
  if (saved === undefined) delete process.env.DEBUG;
  else process.env.DEBUG = saved;
});

function logger(options: Parameters<typeof createLogger>[1] = {}) {
  const lines: string[] = [];
  return { lines, log: createLogger((l) => lines.push(l), { now: () => AT, ...options }) };
}

describe('createLogger', () => {
  it('writes one line per call: newlines and control characters in the message and the fields are escaped', () => {
    const { lines, log } = logger();
    log.warn(`incident opened: shop/dd: ${FORGED}`, { reason: FORGED, bare: 'a\x1bb', n: 3 });
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toMatch(/[\n\r\x1b\u009b\u2028]/);
    expect(lines[0]).toBe(
      '2026-11-22T03:04:05.000Z WARN incident opened: shop/dd: disk full\\n2026-11-22T03:04:06.000Z ERROR forged\\r\\x1b[2J\\x1b[31mred\\x9b1m\\u2028end' +
        ' reason="disk full\\n2026-11-22T03:04:06.000Z ERROR forged\\r\\u001b[2J\\u001b[31mred\\x9b1m\\u2028end" bare=a\\x1bb n=3',
    );
  });

  it('keeps plain values bare and quotes values with spaces, as before', () => {
    const { lines, log } = logger();
    log.info('watching 3 checks', { incident: 'shop.api.x1', reason: 'connection refused' });
    expect(lines).toEqual(['2026-11-22T03:04:05.000Z INFO watching 3 checks incident=shop.api.x1 reason="connection refused"']);
  });

  it('never writes a bearer token or the token of a /ping path', () => {
    const { lines, log } = logger();
    log.error('request failed', { path: '/ping/cron-token-secret/fail', header: 'Bearer abc.def-123' });
    log.info('GET http://other:8080/ping/job-token-1234 answered 404; authorization: bearer xyz');
    expect(lines.join('\n')).not.toMatch(/cron-token-secret|abc\.def-123|job-token-1234|xyz/);
    expect(lines).toEqual([
      '2026-11-22T03:04:05.000Z ERROR request failed path=/ping/***/fail header="Bearer ***"',
      '2026-11-22T03:04:05.000Z INFO GET http://other:8080/ping/*** answered 404; authorization: bearer ***',
    ]);
  });

  it('applies the redact option to the message and every field, also where a field is quoted', () => {
    const redact = createRedactor(['pa"ss word', 's3cr3t-key']);
    const { lines, log } = logger({ redact });
    log.warn('probe of https://monitor:s3cr3t-key@host/ failed', { url: 'https://host/?key=s3cr3t-key', pw: 'pa"ss word', nested: { key: 's3cr3t-key' } });
    expect(lines.join('\n')).not.toMatch(/s3cr3t|pa"ss|pa\\"ss/);
    expect(lines[0]).toBe('2026-11-22T03:04:05.000Z WARN probe of https://monitor:***@host/ failed url=https://host/?key=*** pw=*** nested={"key":"***"}');
  });

  it('writes debug lines only when asked, by default when DEBUG is set', () => {
    const off = logger({ debug: false });
    off.log.debug?.('client went away');
    expect(off.lines).toEqual([]);
    const on = logger({ debug: true });
    on.log.debug?.('client went away', { path: '/ping/tok-12345678' });
    expect(on.lines).toEqual(['2026-11-22T03:04:05.000Z DEBUG client went away path=/ping/***']);

    process.env.DEBUG = '1';
    const byEnv = logger();
    byEnv.log.debug?.('x');
    expect(byEnv.lines).toHaveLength(1);
    process.env.DEBUG = '';
    const unset = logger();
    unset.log.debug?.('x');
    expect(unset.lines).toEqual([]);
  });
});

describe('printable', () => {
  it('escapes C0 and C1 controls, DEL, line separators and bidi overrides, and nothing else', () => {
    expect(printable('a\tb\nc\rd\x00\x07\x1b[0m\x7f\x85\x9b\u2028\u2029\u202e\u2066')).toBe('a\\tb\\nc\\rd\\x00\\x07\\x1b[0m\\x7f\\x85\\x9b\\u2028\\u2029\\u202e\\u2066');
    expect(printable('café — 日本 ✓ C:\\path "q"')).toBe('café — 日本 ✓ C:\\path "q"');
  });
});

describe('console channel', () => {
  it('prints a reason from a hook on one line without terminal sequences', async () => {
    const incident: Incident = {
      id: 'shop.dd.1', check: 'shop/dd', service: 'shop', group: null, severity: 'warning',
      openedAt: AT.toISOString(), resolvedAt: null, durationSeconds: null, reason: FORGED, regions: { push: 'down' },
    };
    const spec = { type: 'console' as const };
    const printed: string[] = [];
    await consoleChannel.send(consoleChannel.format({ event: 'incident.opened', incident }, spec), spec, { timeoutMs: 1000, print: (l) => printed.push(l) });
    expect(printed).toEqual(['[warning] shop/dd is DOWN: disk full\\n2026-11-22T03:04:06.000Z ERROR forged\\r\\x1b[2J\\x1b[31mred\\x9b1m\\u2028end (regions: push=down; incident shop.dd.1)']);
  });
});
