/** The HTTP routes as plain functions, against in-memory dependencies and a controlled clock. */
import { describe, expect, it } from 'vitest';
import { toApiRequest } from '../../shared/adapters/aws/http.ts';
import { parseConfig } from '../../shared/config/load.ts';
import { createRouter, loggablePath, MAX_BODY_BYTES, parsePath, type ApiRequest, type ApiRequestHead, type RouteDeps } from '../../shared/http/routes.ts';
import type { CheckState, Incident, ProbeResult } from '../../shared/types.ts';

const CONFIG = `version: 1
settings: { statusToken: st, ingestToken: it }
defaults: { interval: 30s }
services:
  - name: shop
    group: acme/prod
    checks:
      - name: api
        http: { url: "http://127.0.0.1:1/" }
      - name: cron
        heartbeat: { token: cron-token-1, every: 1h }
      - name: dd
        webhook: { source: generic }
  - name: blog
    group: other
    checks:
      - name: home
        tcp: { host: 127.0.0.1, port: 1 }
`;

function setup(now = 1_000_000) {
  const config = parseConfig(CONFIG, 'monitors.yaml', {});
  const clock = { t: now, now() { return this.t; } };
  const states = new Map<string, CheckState>();
  const pushed: ProbeResult[] = [];
  const pings: [string, number][] = [];
  const failures: [string, number, string][] = [];
  let lastRound: number | undefined;
  const deps: RouteDeps = {
    config,
    clock,
    states: async () => states,
    latestResults: async () => [],
    listIncidents: async () => [],
    getIncident: async () => undefined,
    timeline: async () => [],
    lastRoundAt: async () => lastRound,
    problem: async () => undefined,
    push: async (r) => void pushed.push(r),
    recordPing: async (c, at) => void pings.push([c, at]),
    recordPingFailure: async (c, at, m) => void failures.push([c, at, m]),
  };
  const route = createRouter(deps);
  const call = (method: string, path: string, init: Partial<ApiRequest> = {}) => {
    const [p, q] = path.split('?');
    return route({ method, path: p!, query: new URLSearchParams(q ?? ''), headers: {}, ...init });
  };
  const down = (check: string, reason: string) => {
    const incident: Incident = { id: `${check}.x`, check, service: check.split('/')[0]!, group: null, severity: 'warning', openedAt: new Date(now).toISOString(), resolvedAt: null, durationSeconds: null, reason, regions: { local: 'down' } };
    states.set(check, { check, version: 1, regions: {}, incident, reactions: {} });
  };
  const head = (method: string, path: string, headers: Record<string, string> = {}): ApiRequestHead => ({ method, path, query: new URLSearchParams(), headers });
  return { route, call, head, clock, pushed, pings, failures, down, setLastRound: (t: number | undefined) => (lastRound = t) };
}

const ST = { authorization: 'Bearer st' };
const IT = { authorization: 'Bearer it' };

describe('/health', () => {
  it('says Checks running while rounds finish within 3 x the shortest interval (capped at 5 min), else 503', async () => {
    const s = setup();
    expect(await s.call('GET', '/health')).toMatchObject({ status: 503, body: 'Checks not running\n' });
    s.setLastRound(s.clock.t - 89_000); // shortest interval 30s: the window is 90s
    expect(await s.call('GET', '/health')).toMatchObject({ status: 200, body: 'Checks running\n' });
    s.setLastRound(s.clock.t - 91_000);
    expect(await s.call('GET', '/health')).toMatchObject({ status: 503, body: 'Checks not running\n' });
  });
});

describe('/status', () => {
  it('scopes by service and group, with 404 for an unknown one, and keeps the token', async () => {
    const s = setup();
    s.down('shop/api', 'status 500 does not match 2xx');
    expect((await s.call('GET', '/status')).status).toBe(401);
    expect(await s.call('GET', '/status', { headers: ST })).toMatchObject({ status: 503, body: 'shop/api: status 500 does not match 2xx\n' });
    expect(await s.call('GET', '/status/blog', { headers: ST })).toMatchObject({ status: 200, body: 'OK\n' });
    expect(await s.call('GET', '/status?group=acme', { headers: ST })).toMatchObject({ status: 503 });
    expect(await s.call('GET', '/status?group=acme/prod', { headers: ST })).toMatchObject({ status: 503 });
    expect(await s.call('GET', '/status?group=acm', { headers: ST })).toMatchObject({ status: 404, body: 'no service in group "acm"\n' });
    expect(await s.call('GET', '/status/nope', { headers: ST })).toMatchObject({ status: 404, body: 'unknown service "nope"\n' });
    const head = await s.call('HEAD', '/status', { headers: ST });
    expect(head.status).toBe(503);
  });
});

describe('methods and unknown routes', () => {
  it('answers 405 with Allow and a content type, and 404 for unknown paths', async () => {
    const s = setup();
    const r = await s.call('DELETE', '/status', { headers: ST });
    expect(r.status).toBe(405);
    expect(r.headers).toMatchObject({ allow: 'GET', 'content-type': 'text/plain; charset=utf-8' });
    expect((await s.call('GET', '/hooks/generic')).headers.allow).toBe('POST');
    expect((await s.call('GET', '/nope')).status).toBe(404);
    expect((await s.call('GET', '/status/a/b')).status).toBe(404);
    expect((await s.call('GET', '/api/incidents/nope', { headers: ST })).status).toBe(404);
  });
});

describe('/hooks/{source}', () => {
  it('404 for sources that only exist on Object.prototype, 413 over the limit, 404 for a check of another kind', async () => {
    const s = setup();
    for (const source of ['constructor', '__proto__', 'valueOf']) {
      expect((await s.call('POST', `/hooks/${source}`, { headers: IT, body: '{}' })).status).toBe(404);
    }
    expect((await s.call('POST', '/hooks/generic', { headers: IT, bodyTooLarge: true })).status).toBe(413);
    const wrongKind = await s.call('POST', '/hooks/generic', { headers: IT, body: '{"check":"shop/api","status":"down"}' });
    expect(wrongKind.status).toBe(404);
    expect(JSON.parse(wrongKind.body).error).toBe('no webhook check "shop/api" with source generic');
    expect(s.pushed).toEqual([]);
    const ok = await s.call('POST', '/hooks/generic', { headers: IT, body: '{"check":"shop/dd","status":"down","message":"disk"}' });
    expect(ok.status).toBe(202);
    expect(s.pushed).toEqual([{ check: 'shop/dd', region: 'push', at: s.clock.t, ok: false, latencyMs: 0, reason: 'disk', pushed: true }]);
    expect(MAX_BODY_BYTES).toBe(256 * 1024);
  });
});

describe('/ping/{token}', () => {
  it('records pings and reported failures with their message', async () => {
    const s = setup();
    expect((await s.call('GET', '/ping/cron-token-1')).body).toBe('OK\n');
    expect(s.pings).toEqual([['shop/cron', s.clock.t]]);
    await s.call('POST', '/ping/cron-token-1/fail', { body: 'backup exited 2\n' });
    expect(s.failures).toEqual([['shop/cron', s.clock.t, 'backup exited 2']]);
    expect(s.pushed.map((r) => [r.ok, r.reason])).toEqual([[true, 'ping received'], [false, 'backup exited 2']]);
    expect((await s.call('GET', '/ping/cron-token-1/other')).status).toBe(404);
    expect((await s.call('GET', '/ping/nope')).status).toBe(404);
  });
});

describe('paths', () => {
  it('serve the dashboard only at exactly /, and answer 400 to every other spelling of a route', async () => {
    const s = setup();
    s.down('shop/api', 'status 500 does not match 2xx');
    expect((await s.call('GET', '/')).body).toContain('<!doctype html>');
    for (const path of ['//status', '/status/', '/./status', '/status/..', '/status/%2e%2e', '/status/%2E%2E', '/%2Fstatus', '/status%2fblog', '/status/%5cblog', '/status/bl\\og', '/status/%00', '/status/%zz', '//', '/..', 'status']) {
      for (const method of ['GET', 'HEAD']) {
        const res = await s.call(method, path, { headers: ST });
        expect({ path, method, status: res.status }).toEqual({ path, method, status: 400 });
        expect(res.body).not.toContain('<!doctype html>');
      }
    }
    // Percent-encoding of ordinary characters is the same path.
    expect((await s.call('GET', '/st%61tus', { headers: ST })).status).toBe(503);
  });

  it('name what is wrong, with the canonical spelling when there is one', () => {
    expect(parsePath('/')).toEqual({ segments: [] });
    expect(parsePath('/api/incidents/shop.api.x')).toEqual({ segments: ['api', 'incidents', 'shop.api.x'] });
    expect(parsePath('/ping/a%2Db')).toEqual({ segments: ['ping', 'a-b'] });
    expect(parsePath('//status')).toEqual({ problem: 'bad path "//status": an empty segment (//) (did you mean "/status"?)' });
    expect(parsePath('/status/')).toEqual({ problem: 'bad path "/status/": a trailing slash (did you mean "/status"?)' });
    expect(parsePath('/status/%2e%2e')).toEqual({ problem: 'bad path "/status/%2e%2e": a dot segment' });
    expect(parsePath('/%2Fstatus')).toEqual({ problem: 'bad path "/%2Fstatus": an encoded slash or a backslash' });
  });

  it('are logged without the ping token', () => {
    expect(loggablePath('/ping/cron-token-1/fail')).toBe('/ping/***/fail');
    expect(loggablePath('/ping/cron-token-1')).toBe('/ping/***');
    expect(loggablePath('//ping//cron-token-1')).toBe('//ping//***');
    expect(loggablePath('/%70ing/cron-token-1')).toBe('/%70ing/***');
    expect(loggablePath('/x/..%2Fping%2Fcron-token-1')).toBe('/x/../ping/***');
    expect(loggablePath('/status/shop')).toBe('/status/shop');
  });
});

describe('admission: decided from the head, before any body is read', () => {
  it('answers a missing token, an unknown hook source or ping token, and a declared body over the limit at once', () => {
    const s = setup();
    const answer = (h: ApiRequestHead) => {
      const a = s.route.admit(h);
      return 'answer' in a ? a.answer.status : `reads body: ${a.readsBody}`;
    };
    expect(answer(s.head('POST', '/hooks/generic'))).toBe(401);
    expect(answer(s.head('POST', '/hooks/generic', { authorization: 'Bearer wrong' }))).toBe(401);
    expect(answer(s.head('POST', '/hooks/nagios', IT))).toBe(404);
    expect(answer(s.head('POST', '/hooks/generic', { ...IT, 'content-length': String(MAX_BODY_BYTES + 1) }))).toBe(413);
    expect(answer(s.head('POST', '/hooks/generic', { ...IT, 'content-length': String(MAX_BODY_BYTES) }))).toBe('reads body: true');
    expect(answer(s.head('POST', '/ping/nope/fail'))).toBe(404);
    expect(answer(s.head('POST', '/ping/cron-token-1/fail', { 'content-length': String(50 * 1024 * 1024) }))).toBe(413);
    expect(answer(s.head('POST', '/ping/cron-token-1/fail'))).toBe('reads body: true');
    expect(answer(s.head('POST', '/ping/cron-token-1'))).toBe('reads body: false');
    expect(answer(s.head('GET', '/api/checks'))).toBe(401);
    expect(answer(s.head('GET', '/status'))).toBe(401);
    expect(answer(s.head('GET', '/health'))).toBe('reads body: false');
    expect(answer(s.head('DELETE', '/hooks/generic'))).toBe(405);
    expect(answer(s.head('GET', '//status', ST))).toBe(400);
  });

  it('caps /ping/{token}/fail bodies like the hooks: 413, and no failure recorded', async () => {
    const s = setup();
    const res = await s.call('POST', '/ping/cron-token-1/fail', { bodyTooLarge: true });
    expect(res).toMatchObject({ status: 413, body: 'body over 256 KB\n' });
    expect(s.failures).toEqual([]);
    expect(s.pushed).toEqual([]);
  });
});

describe('the same routes behind API Gateway', () => {
  it('refuse the same path tricks and oversized failure reports, from whole requests', async () => {
    const s = setup();
    s.down('shop/api', 'status 500 does not match 2xx');
    const event = (method: string, rawPath: string, body = '', headers: Record<string, string> = {}) =>
      toApiRequest({ rawPath, rawQueryString: '', headers, body, isBase64Encoded: false, requestContext: { http: { method } } } as unknown as Parameters<typeof toApiRequest>[0]);
    expect((await s.route(event('GET', '//status', '', ST))).status).toBe(400);
    expect((await s.route(event('GET', '/status/%2e%2e', '', ST))).status).toBe(400);
    expect((await s.route(event('GET', '/status', '', ST))).status).toBe(503);
    expect((await s.route(event('POST', '/hooks/generic', '{"check":"shop/dd","status":"down"}'))).status).toBe(401);
    expect((await s.route(event('POST', '/ping/cron-token-1/fail', 'x'.repeat(MAX_BODY_BYTES + 1)))).status).toBe(413);
    expect(s.failures).toEqual([]);
  });
});
