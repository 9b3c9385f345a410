/**
 * The local HTTP server on a loopback port, over the real routes and in-memory dependencies: its
 * production limits, the connection cap, `Expect: 100-continue`, aborts and errors in the log.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SERVER_LIMITS, splitTarget, startServer, type ServerLimits } from '../../shared/adapters/local/server.ts';
import { parseConfig } from '../../shared/config/load.ts';
import { createRouter, type RouteDeps } from '../../shared/http/routes.ts';
import { openRaw, rawRequest } from '../faults/raw-http.ts';

const CONFIG = `version: 1
settings: { statusToken: st, ingestToken: it }
services:
  - name: shop
    checks:
      - name: cron
        heartbeat: { token: cron-token-secret, every: 1h }
      - name: dd
        webhook: { source: generic }
`;

const servers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

async function serve(options: { limits?: ServerLimits; failPings?: boolean } = {}) {
  const lines: string[] = [];
  const log = {
    debug: (m: string, f?: Record<string, unknown>) => void lines.push(`DEBUG ${m} ${JSON.stringify(f ?? {})}`),
    info: (m: string) => void lines.push(`INFO ${m}`),
    warn: (m: string) => void lines.push(`WARN ${m}`),
    error: (m: string, f?: Record<string, unknown>) => void lines.push(`ERROR ${m} ${JSON.stringify(f ?? {})}`),
  };
  const pushed: string[] = [];
  const deps: RouteDeps = {
    config: parseConfig(CONFIG, 'monitors.yaml', {}),
    clock: { now: () => 1_000_000 },
    states: async () => new Map(),
    latestResults: async () => [],
    listIncidents: async () => [],
    getIncident: async () => undefined,
    timeline: async () => [],
    lastRoundAt: async () => undefined,
    problem: async () => undefined,
    push: async (r) => void pushed.push(`${r.check} ${r.ok ? 'up' : 'down'}`),
    recordPing: async () => {
      if (options.failPings) throw new Error('disk I/O error');
    },
    recordPingFailure: async () => {},
  };
  const server = await startServer(createRouter(deps), { port: 0, log, limits: options.limits });
  servers.push(server);
  return { ...server, lines, pushed };
}

describe('startServer', () => {
  it('serves with the production limits unless told otherwise', async () => {
    const { server } = await serve();
    expect(SERVER_LIMITS).toEqual({ headersTimeoutMs: 5_000, bodyTimeoutMs: 5_000, maxConnections: 1_000, idleTimeoutMs: 30_000 });
    expect(server.maxConnections).toBe(1_000);
    expect(server.headersTimeout).toBe(5_000);
    expect(server.requestTimeout).toBe(11_000);
    expect(server.timeout).toBe(30_000);
  });

  it('closes connections past the cap at once, warns once, and serves again when some close', async () => {
    const s = await serve({ limits: { maxConnections: 2, headersTimeoutMs: 60_000 } });
    const held = [openRaw(s.port, 'GET /health HTTP/1.1\r\n'), openRaw(s.port, 'GET /health HTTP/1.1\r\n')];
    for (let i = 0; i < 100 && (await connections(s.server)) < 2; i++) await new Promise((r) => setTimeout(r, 20));
    const refused = [openRaw(s.port, 'GET /health HTTP/1.1\r\nhost: x\r\n\r\n'), openRaw(s.port, 'GET /health HTTP/1.1\r\nhost: x\r\n\r\n')];
    for (const r of refused) expect((await r.response).status).toBe(0);
    expect(s.lines.filter((l) => l.startsWith('WARN'))).toEqual(['WARN 2 connections open: refusing new ones until some close']);
    for (const h of held) {
      h.socket.destroy();
      await h.closed;
    }
    for (let i = 0; i < 100 && (await connections(s.server)) > 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect((await rawRequest(s.port, 'GET', '/status', { authorization: 'Bearer st' })).status).toBe(200);
  });

  it('keeps the connection of a bodyless request it refused, and closes one whose body it did not read', async () => {
    const s = await serve();
    const c = openRaw(s.port, 'GET /nope HTTP/1.1\r\nhost: x\r\n\r\n');
    const first = await c.response;
    expect(first.status).toBe(404);
    expect(first.headers.connection).toBe('keep-alive');
    c.socket.destroy();
    const body = openRaw(s.port, 'POST /hooks/generic HTTP/1.1\r\nhost: x\r\ncontent-length: 30\r\n\r\n{"check"');
    expect((await body.response).headers.connection).toBe('close');
    await body.closed;
  });

  it('answers `Expect: 100-continue` with 401 and no 100 when the token is missing, and with 100 when it is right', async () => {
    const s = await serve();
    const head = (auth: string) => `POST /hooks/generic HTTP/1.1\r\nhost: x\r\nexpect: 100-continue\r\ncontent-length: 35\r\n${auth}\r\n`;
    const stranger = openRaw(s.port, head(''));
    let seen = '';
    stranger.socket.on('data', (d: Buffer) => (seen += d.toString()));
    expect((await stranger.response).status).toBe(401);
    expect(seen).not.toContain('100 Continue');
    stranger.socket.destroy();

    const friend = openRaw(s.port, head('authorization: Bearer it\r\n'));
    await new Promise<void>((resolve) => friend.socket.on('data', (d: Buffer) => d.toString().includes('100 Continue') && resolve()));
    friend.write('{"check":"shop/dd","status":"down"}');
    expect((await friend.response).status).toBe(202);
    expect(s.pushed).toEqual(['shop/dd down']);
    friend.socket.destroy();
  });

  it('logs a client abort as one debug line and a failed route as one error, both without the ping token', async () => {
    const s = await serve({ failPings: true });
    const c = openRaw(s.port, 'POST /ping/cron-token-secret/fail HTTP/1.1\r\nhost: x\r\ncontent-length: 100\r\n\r\nhalf');
    for (let i = 0; i < 100 && (await connections(s.server)) < 1; i++) await new Promise((r) => setTimeout(r, 20));
    c.socket.destroy();
    for (let i = 0; i < 100 && s.lines.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(s.lines).toEqual(['DEBUG client closed the connection before sending the whole request {"method":"POST","path":"/ping/***/fail"}']);

    const res = await rawRequest(s.port, 'GET', '/ping/cron-token-secret');
    expect(res).toMatchObject({ status: 500, body: 'internal error (see the server log)\n' });
    expect(s.lines).toHaveLength(2);
    expect(s.lines[1]).toMatch(/^ERROR request failed \{"method":"GET","path":"\/ping\/\*\*\*","error":"Error: disk I\/O error/);
    expect(s.lines.join('\n')).not.toContain('cron-token-secret');
  });
});

describe('splitTarget', () => {
  it('reads the path of the origin and absolute forms, without resolving anything', () => {
    expect(splitTarget('/status?group=a')).toEqual({ path: '/status', query: 'group=a' });
    expect(splitTarget('//status')).toEqual({ path: '//status', query: '' });
    expect(splitTarget('/status/..')).toEqual({ path: '/status/..', query: '' });
    expect(splitTarget('http://x/status')).toEqual({ path: '/status', query: '' });
    expect(splitTarget('HTTP://x:8080//status?a')).toEqual({ path: '//status', query: 'a' });
    expect(splitTarget('http://x?a=1')).toEqual({ path: '/', query: 'a=1' });
    expect(splitTarget('*')).toBeUndefined();
    expect(splitTarget('example.com:443')).toBeUndefined();
  });
});

function connections(server: import('node:http').Server): Promise<number> {
  return new Promise((resolve) => server.getConnections((_err, n) => resolve(n)));
}
