/**
 * HTTP(S) checks against loopback servers started here: what a user sees in a round's result
 * (ok, reason, timings, trace id, attempts) and what the monitored server sees on the wire.
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as netServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { CompiledCheck } from '../../shared/config/compile.ts';
import { parseConfig } from '../../shared/config/load.ts';
import { runRound, type RoundContext } from '../../shared/engine/probe.ts';
import type { ProbeResult } from '../../shared/types.ts';

interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  /** Header lines as sent: name, value, name, value ... (shows duplicates that `headers` folds). */
  rawHeaders: string[];
  body: string;
}

interface Loopback {
  port: number;
  origin: string;
  requests: SeenRequest[];
  /** Count of accepted TCP connections ('connection' events). */
  connections: number;
}

type Handler = (req: IncomingMessage, res: ServerResponse, seen: SeenRequest) => void;

const servers: NetServer[] = [];
const openSockets = new Set<Socket>();
const pendingTimers = new Set<NodeJS.Timeout>();

async function listen(server: NetServer): Promise<number> {
  servers.push(server);
  server.on('connection', (socket: Socket) => {
    openSockets.add(socket);
    socket.on('close', () => openSockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

/** Start a server whose every request is recorded (with its body) before `handler` answers it. */
async function loopback(handler: Handler, tls?: { key: string; cert: string }): Promise<Loopback> {
  const state = { requests: [] as SeenRequest[], connections: 0 };
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const seen = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, rawHeaders: req.rawHeaders, body: Buffer.concat(chunks).toString('utf8') };
      state.requests.push(seen);
      handler(req, res, seen);
    });
  };
  const server = tls ? createHttpsServer(tls, onRequest) : createHttpServer(onRequest);
  server.on('connection', () => state.connections++);
  const port = await listen(server);
  const origin = `${tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  return {
    port,
    origin,
    get requests() {
      return state.requests;
    },
    get connections() {
      return state.connections;
    },
  };
}

function send(res: ServerResponse, status: number, body = '', headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain', ...headers });
  res.end(body);
}

/** Compile one check from monitors.yaml text, the way `pagerless run` does. */
function compile(check: Record<string, unknown>): CompiledCheck {
  const text = stringify({ version: 1, services: [{ name: 'web', checks: [{ name: 'probe', timeout: '3s', ...check }] }] });
  const compiled = parseConfig(text, 'monitors.yaml', {}).checks[0];
  if (!compiled) throw new Error('no check compiled');
  return compiled;
}

const ctx: RoundContext = { region: 'local', now: () => Date.now(), lastPing: () => undefined, watchingSince: () => 0 };

function round(check: Record<string, unknown>): Promise<ProbeResult> {
  return runRound(compile(check), ctx);
}

/** A port that was listening a moment ago and is closed now. */
async function closedPort(): Promise<number> {
  const server = createHttpServer();
  const port = await listen(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  servers.splice(servers.indexOf(server), 1);
  return port;
}

let plain: Loopback;

beforeAll(async () => {
  plain = await loopback((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    switch (url.pathname) {
      case '/ok':
        return send(res, 200, 'cluster: elasticsearch green');
      case '/fail':
        return send(res, 500, 'boom');
      case '/hang': {
        // Never answers within the probe's timeout; the timer is cleared when the client goes away.
        const t = setTimeout(() => send(res, 200, 'too late'), 20_000);
        pendingTimers.add(t);
        res.on('close', () => clearTimeout(t));
        return;
      }
      case '/stall-body': {
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '100' });
        res.write('partial');
        const t = setTimeout(() => res.end('x'.repeat(93)), 20_000);
        pendingTimers.add(t);
        res.on('close', () => clearTimeout(t));
        return;
      }
      case '/reset':
        req.socket.destroy();
        return;
      case '/redirect':
        return send(res, 302, '', { location: '/ok' });
      case '/redirect-twice':
        return send(res, 302, '', { location: '/redirect' });
      case '/see-other':
        return send(res, 303, '', { location: '/ok' });
      default:
        return send(res, 404, 'not found');
    }
  });
});

afterAll(async () => {
  for (const t of pendingTimers) clearTimeout(t);
  for (const socket of openSockets) socket.destroy();
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
});

describe('http check: verdicts', () => {
  it('passes a 200 and reports connect, first byte and total timings, without DNS for an IP literal', async () => {
    const r = await round({ http: { url: `${plain.origin}/ok` } });
    expect(r.ok).toBe(true);
    expect(r.reason).toBe('status 200');
    expect(r.check).toBe('web/probe');
    expect(r.region).toBe('local');
    expect(r.attempts).toBe(1);
    expect(r.timings).toBeDefined();
    expect(r.timings!.connect).toEqual(expect.any(Number));
    expect(r.timings!.firstByte).toEqual(expect.any(Number));
    expect(r.timings!.total).toEqual(expect.any(Number));
    expect(r.timings).not.toHaveProperty('dns');
    expect(r.timings).not.toHaveProperty('tls');
    // Phases happen in order: connect, then the first byte, then the end of the body.
    expect(r.timings!.connect!).toBeLessThanOrEqual(r.timings!.firstByte!);
    expect(r.timings!.firstByte!).toBeLessThanOrEqual(r.timings!.total);
    expect(plain.requests.at(-1)).toMatchObject({ method: 'GET', url: '/ok' });
    expect(plain.requests.at(-1)!.headers['user-agent']).toMatch(/^Pagerless\//);
  });

  it('fails a 500 against the default 2xx expectation', async () => {
    const r = await round({ http: { url: `${plain.origin}/fail` } });
    expect(r.ok).toBe(false);
    expect(r.reason).toBe('status 500 does not match 2xx');
  });

  it('passes a 500 when the config expects it', async () => {
    const r = await round({ http: { url: `${plain.origin}/fail` }, expect: { status: [500] } });
    expect(r.ok).toBe(true);
    expect(r.reason).toBe('status 500');
  });

  it('fails when the body does not match the regex, and passes when it does', async () => {
    const bad = await round({ http: { url: `${plain.origin}/ok` }, expect: { body: 'elasticsearch +red' } });
    expect(bad.ok).toBe(false);
    expect(bad.reason).toBe('body does not match /elasticsearch +red/');
    const good = await round({ http: { url: `${plain.origin}/ok` }, expect: { body: 'elasticsearch +green' } });
    expect(good.ok).toBe(true);
  });

  it('times out on a server that does not answer in time', async () => {
    const r = await round({ http: { url: `${plain.origin}/hang` }, timeout: '300ms' });
    expect(r.ok).toBe(false);
    expect(r.reason).toMatch(/timed out/);
    expect(r.reason).toBe(`timed out after 300ms waiting for the response (127.0.0.1:${plain.port})`);
  });

  it('times out on a server that stops sending the body half-way', async () => {
    const r = await round({ http: { url: `${plain.origin}/stall-body` }, timeout: '300ms' });
    expect(r.ok).toBe(false);
    expect(r.reason).toBe(`timed out after 300ms reading the body (127.0.0.1:${plain.port})`);
  });

  it('reports a connection reset when the server destroys the socket', async () => {
    const r = await round({ http: { url: `${plain.origin}/reset` } });
    expect(r.ok).toBe(false);
    expect(r.reason).toBe(`connection reset by 127.0.0.1:${plain.port}`);
  });

  it('reports a connection refused on a closed port', async () => {
    const port = await closedPort();
    const r = await round({ http: { url: `http://127.0.0.1:${port}/` } });
    expect(r.ok).toBe(false);
    expect(r.reason).toBe(`connection refused by 127.0.0.1:${port}`);
  });
});

describe('http check: redirects', () => {
  it('follows a 302 to the 200 and says so', async () => {
    const before = plain.requests.length;
    const r = await round({ http: { url: `${plain.origin}/redirect` } });
    expect(r.ok).toBe(true);
    expect(r.reason).toBe(`status 200, after 1 redirect to ${plain.origin}/ok`);
    expect(plain.requests.slice(before).map((q) => q.url)).toEqual(['/redirect', '/ok']);
  });

  it('judges the 302 itself with redirects: 0', async () => {
    const before = plain.requests.length;
    const r = await round({ http: { url: `${plain.origin}/redirect`, redirects: 0 } });
    expect(r.ok).toBe(false);
    expect(r.reason).toBe('status 302 does not match 2xx');
    expect(plain.requests.slice(before).map((q) => q.url)).toEqual(['/redirect']);
  });

  it('stops at the redirect limit and judges the response it reached', async () => {
    const before = plain.requests.length;
    const r = await round({ http: { url: `${plain.origin}/redirect-twice`, redirects: 1 } });
    expect(r.ok).toBe(false);
    expect(r.reason).toBe('status 302 does not match 2xx');
    expect(plain.requests.slice(before).map((q) => q.url)).toEqual(['/redirect-twice', '/redirect']);
  });

  it('sends credentials and configured headers to the configured origin only, not to a redirect elsewhere', async () => {
    const elsewhere = await loopback((_req, res) => send(res, 200, 'elsewhere'));
    const origin = await loopback((_req, res) => send(res, 302, '', { location: `http://localhost:${elsewhere.port}/landing` }));
    const r = await round({ http: { url: `${origin.origin}/start`, basicAuth: { username: 'u', password: 'secret' }, headers: { 'X-Api-Key': 'k123' } } });
    expect(r.ok).toBe(true);
    expect(origin.requests[0]!.headers.authorization).toBe(`Basic ${Buffer.from('u:secret').toString('base64')}`);
    expect(origin.requests[0]!.headers['x-api-key']).toBe('k123');
    expect(elsewhere.requests[0]!.url).toBe('/landing');
    expect(elsewhere.requests[0]!.headers.authorization).toBeUndefined();
    expect(elsewhere.requests[0]!.headers['x-api-key']).toBeUndefined();
  });

  it('fails with the reason when a redirect has an unusable Location', async () => {
    const bad = await loopback((_req, res) => send(res, 301, '', { location: 'mailto:ops@example.com' }));
    const r = await round({ http: { url: `${bad.origin}/` } });
    expect(r.ok).toBe(false);
    expect(r.reason).toBe('status 301 redirects to an unusable Location "mailto:ops@example.com"');
  });

  it('turns a POST into a GET without a body on 303', async () => {
    const before = plain.requests.length;
    const r = await round({ http: { url: `${plain.origin}/see-other`, method: 'POST', body: 'payload' } });
    expect(r.ok).toBe(true);
    const seen = plain.requests.slice(before);
    expect(seen.map((q) => `${q.method} ${q.url}`)).toEqual(['POST /see-other', 'GET /ok']);
    expect(seen[0]!.body).toBe('payload');
    expect(seen[1]!.body).toBe('');
  });
});

describe('http check: what the server receives', () => {
  it('sends basic auth and custom headers', async () => {
    const before = plain.requests.length;
    const r = await round({
      http: {
        url: `${plain.origin}/ok`,
        headers: { Accept: 'application/json', 'X-Monitor': 'pagerless-test' },
        basicAuth: { username: 'monitor', password: 's3cret:with colon' },
      },
    });
    expect(r.ok).toBe(true);
    const seen = plain.requests.slice(before);
    expect(seen).toHaveLength(1);
    const auth = seen[0]!.headers.authorization;
    expect(auth).toMatch(/^Basic /);
    expect(Buffer.from(auth!.slice('Basic '.length), 'base64').toString('utf8')).toBe('monitor:s3cret:with colon');
    expect(seen[0]!.headers.accept).toBe('application/json');
    expect(seen[0]!.headers['x-monitor']).toBe('pagerless-test');
  });

  // Regression: headers were merged case-sensitively, so a configured `User-Agent` was sent in
  // addition to the default `user-agent`, and the server kept the first one.
  it('lets a configured User-Agent header replace the default one', async () => {
    const before = plain.requests.length;
    const r = await round({ http: { url: `${plain.origin}/ok`, headers: { 'User-Agent': 'acme-probe/2' } } });
    expect(r.ok).toBe(true);
    const seen = plain.requests.slice(before);
    expect(seen).toHaveLength(1);
    const agents = seen[0]!.rawHeaders.filter((_, i, all) => i % 2 === 1 && all[i - 1]!.toLowerCase() === 'user-agent');
    expect(agents).toEqual(['acme-probe/2']);
  });

  it('sends a POST body', async () => {
    const before = plain.requests.length;
    const body = JSON.stringify({ query: 'health', n: 1 });
    const r = await round({ http: { url: `${plain.origin}/ok`, method: 'POST', body, headers: { 'Content-Type': 'application/json' } } });
    expect(r.ok).toBe(true);
    const seen = plain.requests.slice(before);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.method).toBe('POST');
    expect(seen[0]!.body).toBe(body);
    expect(seen[0]!.headers['content-type']).toBe('application/json');
  });

  it('adds a fresh trace id per request with traceParam and reports it in the result', async () => {
    const before = plain.requests.length;
    const first = await round({ http: { url: `${plain.origin}/ok?keep=1`, traceParam: 'pagerless_trace_id' } });
    const second = await round({ http: { url: `${plain.origin}/ok?keep=1`, traceParam: 'pagerless_trace_id' } });
    const seen = plain.requests.slice(before).map((q) => new URL(q.url, 'http://x').searchParams);
    expect(seen).toHaveLength(2);
    expect(first.traceId).toMatch(/^[0-9a-f]{16}$/);
    expect(second.traceId).toMatch(/^[0-9a-f]{16}$/);
    expect(first.traceId).not.toBe(second.traceId);
    expect(seen[0]!.get('pagerless_trace_id')).toBe(first.traceId);
    expect(seen[1]!.get('pagerless_trace_id')).toBe(second.traceId);
    expect(seen[0]!.get('keep')).toBe('1');
  });

  it('has no trace id without traceParam', async () => {
    const before = plain.requests.length;
    const r = await round({ http: { url: `${plain.origin}/ok` } });
    expect(r).not.toHaveProperty('traceId');
    expect(plain.requests.slice(before)[0]!.url).toBe('/ok');
  });

  it('opens a fresh connection for every probe', async () => {
    const server = await loopback((_req, res) => send(res, 200, 'ok', { connection: 'keep-alive' }));
    const n = 5;
    for (let i = 0; i < n; i++) {
      const r = await round({ http: { url: `${server.origin}/` } });
      expect(r.ok).toBe(true);
    }
    expect(server.requests).toHaveLength(n);
    expect(server.connections).toBe(n);
  });

  it('leaves no connection open after a probe, even to a server that answers keep-alive', async () => {
    const server = await loopback((_req, res) => send(res, 200, 'ok', { connection: 'keep-alive' }));
    const accepted: Socket[] = [];
    servers.at(-1)!.on('connection', (socket: Socket) => accepted.push(socket));
    for (let i = 0; i < 3; i++) expect((await round({ http: { url: `${server.origin}/` } })).ok).toBe(true);
    expect(accepted).toHaveLength(3);
    // The probe's side closes each one (bounded wait: the close is asynchronous).
    for (let i = 0; i < 100 && accepted.some((s) => !s.destroyed); i++) await new Promise((r) => setTimeout(r, 10));
    expect(accepted.filter((s) => !s.destroyed)).toHaveLength(0);
  });
});

describe('http check: large bodies, matched as they stream in', () => {
  const MiB = 1024 * 1024;
  const needle = '"status":"green"';

  /** A server sending `size` bytes of filler with the needle at `at`, in 1,000-byte writes (many chunk boundaries). */
  async function bigBody(size: number, at: number): Promise<Loopback> {
    const body = Buffer.alloc(size, 'x');
    body.write(needle, at);
    return loopback((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(size) });
      for (let i = 0; i < size; i += 1_000) res.write(body.subarray(i, i + 1_000));
      res.end();
    });
  }

  it('finds a match at the start and at the very end of a 1 MiB body', async () => {
    const start = await bigBody(MiB, 0);
    expect((await round({ http: { url: `${start.origin}/` }, expect: { body: '"status":"green"' } })).reason).toBe('status 200');
    const end = await bigBody(MiB, MiB - needle.length);
    expect((await round({ http: { url: `${end.origin}/` }, expect: { body: '"status":"green"$' } })).reason).toBe('status 200');
  });

  it('finds a match that straddles the server\'s writes', async () => {
    const across = await bigBody(MiB, 500_000 - 7);
    expect((await round({ http: { url: `${across.origin}/` }, expect: { body: '"status":"green"' } })).ok).toBe(true);
  });

  it('fails when a 1 MiB body does not match', async () => {
    const none = await bigBody(MiB, 0);
    const r = await round({ http: { url: `${none.origin}/` }, expect: { body: '"status":"red"' } });
    expect(r.reason).toBe('body does not match /"status":"red"/');
  });

  it('judges the first 1 MiB of a longer body: a match beyond it does not count', async () => {
    const inside = await bigBody(3 * MiB, MiB - needle.length);
    expect((await round({ http: { url: `${inside.origin}/` }, expect: { body: 'green' } })).reason).toBe('status 200');
    const beyond = await bigBody(3 * MiB, MiB + 10);
    expect((await round({ http: { url: `${beyond.origin}/` }, expect: { body: 'green' } })).reason).toBe('body does not match /green/');
  });

  it('does not judge the body of a HEAD request', async () => {
    const r = await round({ http: { url: `${plain.origin}/ok`, method: 'HEAD' }, expect: { body: 'never in a HEAD answer' } });
    expect(r.reason).toBe('status 200');
  });
});

describe('http check: retries', () => {
  it('passes on the second attempt with retries: 1', async () => {
    let calls = 0;
    const server = await loopback((_req, res) => (++calls === 1 ? send(res, 503, 'warming up') : send(res, 200, 'ok')));
    const r = await round({ http: { url: `${server.origin}/` }, retries: 1 });
    expect(r.ok).toBe(true);
    expect(r.attempts).toBe(2);
    expect(r.reason).toBe('status 200');
    expect(server.requests).toHaveLength(2);
    expect(server.connections).toBe(2);
  });

  it('fails after every attempt is used and counts them in the reason', async () => {
    const server = await loopback((_req, res) => send(res, 500, 'down'));
    const r = await round({ http: { url: `${server.origin}/` }, retries: 2 });
    expect(r.ok).toBe(false);
    expect(r.attempts).toBe(3);
    expect(r.reason).toBe('status 500 does not match 2xx (3 attempts)');
    expect(server.requests).toHaveLength(3);
  });

  it('does not retry a round that passed', async () => {
    const server = await loopback((_req, res) => send(res, 200, 'ok'));
    const r = await round({ http: { url: `${server.origin}/` }, retries: 3 });
    expect(r.ok).toBe(true);
    expect(r.attempts).toBe(1);
    expect(server.requests).toHaveLength(1);
  });
});

describe('https check', () => {
  let dir: string;
  let longCert: { key: string; cert: string };
  let shortCert: { key: string; cert: string };
  let longServer: Loopback;
  let shortServer: Loopback;

  function makeCert(name: string, days: number): { key: string; cert: string } {
    const key = join(dir, `${name}.key`);
    const cert = join(dir, `${name}.crt`);
    execFileSync('/usr/bin/openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', key, '-out', cert, '-days', String(days), '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1',
    ], { stdio: 'pipe' });
    return { key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8') };
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pagerless-tls-'));
    longCert = makeCert('long', 90);
    shortCert = makeCert('short', 3);
    longServer = await loopback((_req, res) => send(res, 200, 'secure ok'), longCert);
    shortServer = await loopback((_req, res) => send(res, 200, 'secure ok'), shortCert);
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('rejects a self-signed certificate by default, with a TLS reason', async () => {
    const r = await round({ http: { url: `${longServer.origin}/` } });
    expect(r.ok).toBe(false);
    expect(r.reason).toMatch(new RegExp(`^TLS handshake with 127\\.0\\.0\\.1:${longServer.port} failed: .*self.signed`, 'i'));
    expect(longServer.requests).toHaveLength(0);
  });

  it('accepts it with insecure: true and still reports the certificate expiry and the TLS phase', async () => {
    const check = compile({ http: { url: `${longServer.origin}/`, insecure: true } });
    const r = await runRound(check, ctx);
    expect(r.ok).toBe(true);
    expect(r.reason).toBe('status 200');
    expect(r.timings!.tls).toEqual(expect.any(Number));
    expect(r.timings!.connect!).toBeLessThanOrEqual(r.timings!.tls!);
    // certExpiresAt is on the probe's observation (runRound does not copy it to the result).
    const { http } = await import('../../shared/checks/http.ts');
    const attempt = await http.probe!(check.spec, { checkId: check.id, timeoutMs: check.timeoutMs, now: Date.now, lastPing: () => undefined, watchingSince: () => 0 });
    expect(attempt.ok).toBe(true);
    if (!attempt.ok) return;
    expect(attempt.certExpiresAt).toBe(Date.parse(new X509Certificate(longCert.cert).validTo));
  });

  // Regression: when the deadline passed before the connection was made, the connect callback was
  // never called and undici kept the aborted request waiting: the probe never returned (and the
  // pool skipped the check forever). The race only bounds the wait so a regression cannot hang CI.
  it('times out in the TLS handshake when the server accepts but never speaks TLS', async () => {
    const silent = netServer();
    const port = await listen(silent);
    const probe = round({ http: { url: `https://127.0.0.1:${port}/`, insecure: true }, timeout: '300ms' });
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      probe,
      new Promise<'still pending'>((resolve) => {
        timer = setTimeout(() => resolve('still pending'), 5_000);
      }),
    ]);
    clearTimeout(timer);
    expect(outcome).not.toBe('still pending');
    const r = outcome as ProbeResult;
    expect(r.ok).toBe(false);
    expect(r.reason).toBe(`timed out after 300ms in the TLS handshake (127.0.0.1:${port})`);
  });

  it('passes certDays when the certificate lasts long enough', async () => {
    const r = await round({ http: { url: `${longServer.origin}/`, insecure: true }, expect: { certDays: 14 } });
    expect(r.ok).toBe(true);
  });

  it('fails certDays: 14 on a certificate that expires in 3 days', async () => {
    const r = await round({ http: { url: `${shortServer.origin}/`, insecure: true }, expect: { certDays: 14 } });
    expect(r.ok).toBe(false);
    const on = new Date(Date.parse(new X509Certificate(shortCert.cert).validTo)).toISOString().slice(0, 10);
    expect(r.reason).toMatch(/^certificate expires in [23] days/);
    expect(r.reason).toContain(`(on ${on}), under the 14-day minimum`);
  });

  it('opens a fresh TLS connection for every probe', async () => {
    const before = { connections: longServer.connections, requests: longServer.requests.length };
    for (let i = 0; i < 3; i++) {
      const r = await round({ http: { url: `${longServer.origin}/`, insecure: true } });
      expect(r.ok).toBe(true);
    }
    expect(longServer.requests.length - before.requests).toBe(3);
    expect(longServer.connections - before.connections).toBe(3);
  });
});
