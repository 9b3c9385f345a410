/** The HTTP routes as plain functions, against in-memory dependencies and a controlled clock. */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../shared/config/load.ts';
import { createRouter, MAX_BODY_BYTES, type ApiRequest, type RouteDeps } from '../../shared/http/routes.ts';
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
  return { call, clock, pushed, pings, failures, down, setLastRound: (t: number | undefined) => (lastRound = t) };
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
