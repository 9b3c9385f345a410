/**
 * `pagerless run` driven as a user would: a real child process, a loopback target the test
 * switches between 200 / 500 / slow / reset, and a loopback webhook receiver.
 */
import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort, get, post, RunningEngine, startReceiver, startTarget, tempDir, waitFor, waitUp, writeConfig } from './harness.ts';

const HOOK_SECRET = 'e2e-hook-secret';
const STATUS_TOKEN = 'e2e-status-token';
const INGEST_TOKEN = 'e2e-ingest-token';
const auth = { authorization: `Bearer ${STATUS_TOKEN}` };

let target: Awaited<ReturnType<typeof startTarget>>;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
const engines: RunningEngine[] = [];

beforeAll(async () => {
  target = await startTarget();
  receiver = await startReceiver();
});

afterEach(async () => {
  for (const e of engines.splice(0)) {
    e.kill('SIGKILL');
    await e.exited;
  }
  target.setMode('ok');
  receiver.received.length = 0;
});

afterAll(async () => {
  await target.close();
  await receiver.close();
});

function outageConfig(cooldown = '4s'): string {
  return `
version: 1
settings:
  statusToken: ${STATUS_TOKEN}
  ingestToken: ${INGEST_TOKEN}
defaults: { interval: 1s, timeout: 500ms, failures: 2, recoveries: 1 }
channels:
  hook: { type: webhook, url: "${receiver.url}/alerts", secret: ${HOOK_SECRET} }
reactions:
  restart: { type: webhook, url: "${receiver.url}/restart", after: 1, cooldown: ${cooldown} }
services:
  - name: shop
    group: acme/prod
    severity: critical
    alert: [hook]
    react: [restart]
    checks:
      - name: api
        http: { url: "${target.url}" }
  - name: blog
    group: other/prod
    checks:
      - name: home
        tcp: { host: 127.0.0.1, port: ${target.port} }
`;
}

async function startEngine(yaml: string, dataDir = tempDir()): Promise<{ engine: RunningEngine; base: string; dataDir: string; config: string }> {
  const port = await freePort();
  const config = writeConfig(tempDir(), yaml);
  const engine = new RunningEngine(['-c', config, '--port', String(port), '--data', dataDir]);
  engines.push(engine);
  await waitUp(port);
  return { engine, base: `http://127.0.0.1:${port}`, dataDir, config };
}

const events = (name: string) => receiver.received.filter((r) => r.path === '/alerts' && r.json?.event === name);
const restarts = () => receiver.received.filter((r) => r.path === '/restart');

async function checkState(base: string, id: string): Promise<any> {
  const { body } = await get(`${base}/api/checks`, auth);
  return JSON.parse(body).checks.find((c: { check: string }) => c.check === id);
}

describe('an outage, end to end', () => {
  it('opens one signed incident, reacts once per cooldown, serves /status, and resolves once with the duration', async () => {
    const { base } = await startEngine(outageConfig('4s'));
    await waitFor('shop/api up', async () => (await checkState(base, 'shop/api'))?.state === 'up');
    expect((await get(`${base}/status`, auth)).body).toBe('OK\n');

    target.setMode('error');
    const opened = await waitFor('incident.opened', () => events('incident.opened')[0]);
    expect(opened.json.incident).toMatchObject({
      check: 'shop/api', service: 'shop', group: 'acme/prod', severity: 'critical',
      resolvedAt: null, durationSeconds: null, reason: 'status 500 does not match 2xx', regions: { local: 'down' },
    });
    const expected = `sha256=${createHmac('sha256', HOOK_SECRET).update(opened.raw).digest('hex')}`;
    expect(opened.headers['x-pagerless-signature']).toBe(expected);
    expect(opened.headers['content-type']).toBe('application/json');
    expect(opened.headers['x-pagerless-delivery']).toBe(`${opened.json.incident.id}:incident.opened:hook`);

    // /status while down: token required, the failing list, JSON form, service and group scopes.
    expect((await get(`${base}/status`)).status).toBe(401);
    expect((await get(`${base}/status`, { authorization: 'Bearer wrong' })).status).toBe(401);
    const down = await get(`${base}/status`, auth);
    expect(down.status).toBe(503);
    expect(down.body).toBe('shop/api: status 500 does not match 2xx\n');
    const downJson = await get(`${base}/status`, { ...auth, accept: 'application/json' });
    expect(JSON.parse(downJson.body)).toMatchObject({ status: 'down', failing: [{ check: 'shop/api', since: opened.json.incident.openedAt, reason: 'status 500 does not match 2xx' }] });
    expect((await get(`${base}/status/shop`, auth)).status).toBe(503);
    expect((await get(`${base}/status/blog`, auth)).body).toBe('OK\n');
    expect((await get(`${base}/status/nope`, auth)).status).toBe(404);
    expect((await get(`${base}/status?group=acme`, auth)).status).toBe(503);
    expect((await get(`${base}/status?group=other`, auth)).status).toBe(200);

    // The reaction: once, then again only after the cooldown, however many rounds fail meanwhile.
    await waitFor('a second reaction run, announced', () => events('reaction.ran').filter((r) => r.json.reaction.outcome === 'executed').length >= 2, 15_000);
    expect(restarts().length).toBeGreaterThanOrEqual(2);
    const ran = events('reaction.ran').filter((r) => r.json.reaction.outcome !== 'skipped');
    expect(ran.length).toBeGreaterThanOrEqual(2);
    // A skip inside the cooldown is not sent (it goes in the timeline, checked below).
    expect(events('reaction.ran').filter((r) => r.json.reaction.outcome === 'skipped')).toEqual([]);
    const ranAt = ran.map((r) => Date.parse(r.json.reaction.at));
    for (let i = 1; i < ranAt.length; i++) expect(ranAt[i]! - ranAt[i - 1]!).toBeGreaterThanOrEqual(3_900);
    expect(ran[0]!.json.reaction).toMatchObject({ reaction: 'restart', type: 'webhook', outcome: 'executed' });

    // The failure changes shape (reset, then slow): still the same one incident.
    target.setMode('reset');
    await waitFor('a reset reason', async () => /connection reset/.test((await checkState(base, 'shop/api'))?.regions.local?.reason ?? ''));
    target.setMode('slow');
    await waitFor('a timeout reason', async () => /timed out after 500ms/.test((await checkState(base, 'shop/api'))?.regions.local?.reason ?? ''));
    expect(events('incident.opened')).toHaveLength(1);

    target.setMode('ok');
    const resolved = await waitFor('incident.resolved', () => events('incident.resolved')[0]);
    const inc = resolved.json.incident;
    expect(inc.id).toBe(opened.json.incident.id);
    // The outage's length: from its first failed round (startedAt), not from its confirmation.
    expect(Date.parse(inc.startedAt)).toBeLessThan(Date.parse(inc.openedAt));
    expect(inc.durationSeconds).toBe(Math.round((Date.parse(inc.resolvedAt) - Date.parse(inc.startedAt)) / 1000));
    expect(inc.durationSeconds).toBeGreaterThanOrEqual(4);
    expect(resolved.headers['x-pagerless-signature']).toBe(`sha256=${createHmac('sha256', HOOK_SECRET).update(resolved.raw).digest('hex')}`);
    await waitFor('/status OK', async () => (await get(`${base}/status`, auth)).body === 'OK\n');
    // No late duplicates.
    await new Promise((r) => setTimeout(r, 2_000));
    expect(events('incident.opened')).toHaveLength(1);
    expect(events('incident.resolved')).toHaveLength(1);

    // The incident and its timeline through the API.
    const { incidents } = JSON.parse((await get(`${base}/api/incidents`, auth)).body);
    expect(incidents[0]).toMatchObject({ id: inc.id, resolvedAt: inc.resolvedAt, durationSeconds: inc.durationSeconds });
    const detail = JSON.parse((await get(`${base}/api/incidents/${encodeURIComponent(inc.id)}`, auth)).body);
    const kinds = detail.timeline.map((t: { kind: string }) => t.kind);
    // The first reaction ran at the first failed round, before the incident was confirmed.
    expect(kinds.indexOf('reaction')).toBeGreaterThanOrEqual(0);
    expect(kinds.indexOf('reaction')).toBeLessThan(kinds.indexOf('opened'));
    expect(kinds).toContain('notified');
    expect(kinds).toContain('resolved');
    expect(detail.timeline.some((t: { kind: string; detail: string }) => t.kind === 'reaction' && /skipped: in cooldown: ran \d+m?s ago, may run again in \d+m?s$/.test(t.detail))).toBe(true);
    expect((await get(`${base}/api/checks`)).status).toBe(401);
  });
});

describe('pushed state: hooks and heartbeats', () => {
  const pushConfig = () => `
version: 1
settings: { ingestToken: ${INGEST_TOKEN} }
defaults: { interval: 1s, timeout: 500ms }
channels:
  hook: { type: webhook, url: "${receiver.url}/alerts" }
  out: { type: console }
services:
  - name: jobs
    alert: [hook, out]
    checks:
      - name: backup
        heartbeat: { token: backup-token-123, every: 2s, grace: 1s }
      - name: datadog
        webhook: { source: generic }
`;

  it('/hooks/generic: 401, 400, 404, 413, and a pushed down opens an incident at once; up resolves it', async () => {
    const { base, engine } = await startEngine(pushConfig());
    const hook = `${base}/hooks/generic`;
    const bearer = { authorization: `Bearer ${INGEST_TOKEN}` };
    expect((await post(hook, '{"check":"jobs/datadog","status":"down"}')).status).toBe(401);
    const bad = await post(hook, '{"check":', bearer);
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).error).toMatch(/not valid JSON/);
    const wrongShape = await post(hook, '{"check":"jobs/datadog","status":"sideways"}', bearer);
    expect(wrongShape.status).toBe(400);
    expect(JSON.parse(wrongShape.body).error).toMatch(/^status/);
    expect((await post(hook, '{"check":"jobs/nope","status":"down"}', bearer)).status).toBe(404);
    expect((await post(`${base}/hooks/unknown-source`, '{}', bearer)).status).toBe(404);
    expect((await post(hook, JSON.stringify({ check: 'jobs/datadog', status: 'down', message: 'x'.repeat(300 * 1024) }), bearer)).status).toBe(413);

    const accepted = await post(hook, '{"check":"jobs/datadog","status":"down","message":"CPU above 95% for 10m"}', bearer);
    expect(accepted.status).toBe(202);
    const opened = await waitFor('hook incident', () => events('incident.opened').find((e) => e.json.incident.check === 'jobs/datadog'));
    expect(opened.json.incident).toMatchObject({ reason: 'CPU above 95% for 10m', regions: { push: 'down' } });
    await waitFor('console line', () => engine.stdout.includes('jobs/datadog is DOWN: CPU above 95% for 10m'));

    expect((await post(hook, '{"check":"jobs/datadog","status":"up"}', bearer)).status).toBe(202);
    await waitFor('hook resolved', () => events('incident.resolved').find((e) => e.json.incident.check === 'jobs/datadog'));
    expect(events('incident.opened').filter((e) => e.json.incident.check === 'jobs/datadog')).toHaveLength(1);
  });

  it('a missed heartbeat opens an incident, a ping resolves it, /ping/{token}/fail fails it now, unknown tokens get 404', async () => {
    const { base } = await startEngine(pushConfig());
    expect((await get(`${base}/ping/not-a-token`)).status).toBe(404);
    expect((await get(`${base}/ping/backup-token-123`)).body).toBe('OK\n');
    const missed = await waitFor('missed heartbeat', () => events('incident.opened').find((e) => e.json.incident.check === 'jobs/backup'), 15_000);
    expect(missed.json.incident.reason).toMatch(/^no ping for \d+s \(expected every 2s \+ 1s grace\)$/);

    expect((await post(`${base}/ping/backup-token-123`, '')).status).toBe(200);
    await waitFor('heartbeat resolved', () => events('incident.resolved').find((e) => e.json.incident.check === 'jobs/backup'));

    expect((await get(`${base}/ping/backup-token-123/fail?message=exit%20code%202`)).status).toBe(200);
    const failed = await waitFor('reported failure', () => events('incident.opened').filter((e) => e.json.incident.check === 'jobs/backup')[1]);
    expect(failed.json.incident.reason).toBe('exit code 2');
    // A reported failure holds across heartbeat rounds (interval 1s) until the job pings again.
    await new Promise((r) => setTimeout(r, 2_500));
    expect(events('incident.resolved').filter((e) => e.json.incident.check === 'jobs/backup')).toHaveLength(1);
    expect((await get(`${base}/status`)).body).toBe('jobs/backup: exit code 2\n');
    await get(`${base}/ping/backup-token-123`);
    await waitFor('resolved by the next ping', () => events('incident.resolved').filter((e) => e.json.incident.check === 'jobs/backup').length === 2);
  });
});

describe('the summary digest', () => {
  it('is sent once every check has a result, then every `summary.every`, with states and open incidents', async () => {
    const { engine } = await startEngine(`
version: 1
settings: { summary: { every: 3s, channels: [hook, out] } }
defaults: { interval: 1s, timeout: 500ms, failures: 1 }
channels:
  hook: { type: webhook, url: "${receiver.url}/alerts", events: [incident.opened] }
  out: { type: console }
services:
  - name: web
    alert: [hook]
    checks:
      - name: ok
        http: { url: "${target.url}" }
      - name: broken
        http: { url: "${target.url}" }
        expect: { status: 418 }
      - name: pushed
        webhook: { source: generic }
`);
    const first = await waitFor('the first summary', () => events('summary')[0]);
    expect(first.json.summary).toMatchObject({ periodSeconds: 0, checks: 3, pending: 1, opened: 0, resolved: 0 });
    expect(first.json.summary.up + first.json.summary.down + first.json.summary.degraded).toBe(2);
    const second = await waitFor('a periodic summary', () => events('summary')[1], 10_000);
    expect(second.json.summary).toMatchObject({ periodSeconds: 3, checks: 3, up: 1, down: 1, pending: 1 });
    expect(second.json.summary.open).toEqual([expect.objectContaining({ check: 'web/broken', reason: 'status 200 does not match 418' })]);
    await waitFor('the console digest', () => /Summary: 3 checks: 1 up, 1 down, 0 degraded, 1 pending/.test(engine.stdout));
    // The channel's `events` filter still applies to incident events: no resolved/reaction events were asked for.
    expect(receiver.received.every((r) => ['summary', 'incident.opened'].includes(r.json?.event))).toBe(true);
  });
});

describe('crash and shutdown', () => {
  it('after kill -9 mid-incident and a restart, nothing is announced twice and the resolution is announced once', async () => {
    const first = await startEngine(outageConfig('1h'));
    target.setMode('error');
    const opened = await waitFor('incident.opened', () => events('incident.opened')[0]);
    first.engine.kill('SIGKILL');
    await first.engine.exited;

    const second = await startEngine(outageConfig('1h'), first.dataDir);
    const restartAt = Date.now();
    // Let the restarted engine fail several more rounds of the same outage.
    await waitFor('rounds after the restart', async () => {
      const c = await checkState(second.base, 'shop/api');
      return c && Date.parse(c.regions.local.at) > restartAt + 2_500 && c;
    });
    const still = await checkState(second.base, 'shop/api');
    expect(still.state).toBe('down');
    expect(still.incident.id).toBe(opened.json.incident.id);
    expect(events('incident.opened')).toHaveLength(1);
    expect(restarts()).toHaveLength(1); // the 1h cooldown survived the crash too

    target.setMode('ok');
    await waitFor('incident.resolved', () => events('incident.resolved')[0]);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(events('incident.resolved')).toHaveLength(1);
    expect(events('incident.resolved')[0]!.json.incident.id).toBe(opened.json.incident.id);
  });

  it('survives a database another process holds locked, and stores results again once it is free', async () => {
    const { base, dataDir, engine } = await startEngine(outageConfig());
    await waitFor('shop/api up', async () => (await checkState(base, 'shop/api'))?.state === 'up');
    const blocker = new Database(join(dataDir, 'pagerless.db'));
    blocker.pragma('busy_timeout = 10000');
    blocker.exec('BEGIN IMMEDIATE');
    await waitFor('a logged store error', () => /the results store failing: database is locked/.test(engine.stderr), 15_000);
    // Blind: /health says so, with the reason, while the store refuses writes.
    const blind = await waitFor('/health 503', async () => {
      const h = await get(`${base}/health`);
      return h.status === 503 ? h : undefined;
    });
    expect(blind.body).toMatch(/^Checks not running: the results store failing since \S+: database is locked/);
    await new Promise((r) => setTimeout(r, 3_000));
    // Logged when it started failing, then at most once a minute: not once per second.
    expect(engine.stderr.match(/the results store (still )?failing/g)?.length).toBe(1);
    blocker.exec('COMMIT');
    const lockedUntil = Date.now();
    await waitFor('results stored again', () => {
      const n = blocker.prepare("SELECT COUNT(*) AS n FROM results WHERE check_id = 'shop/api' AND at > ?").get(lockedUntil) as { n: number };
      return n.n > 0;
    });
    blocker.close();
    await waitFor('/health 200', async () => (await get(`${base}/health`)).body === 'Checks running\n');
    expect(engine.stderr).toMatch(/the results store recovered/);
    expect(engine.child.exitCode).toBeNull();
  });

  it.each(['SIGTERM', 'SIGINT'] as const)('%s stops the engine within 5 s with exit code 0', async (signal) => {
    const slowTarget = outageConfig().replace(/interval: 1s, timeout: 500ms/, 'interval: 1s, timeout: 30s');
    target.setMode('hang'); // a probe that would outlive the shutdown is in flight when the signal arrives
    const { engine } = await startEngine(slowTarget);
    await waitFor('a probe in flight', () => target.hits() > 0);
    const sent = Date.now();
    engine.kill(signal);
    const guard = setTimeout(() => engine.kill('SIGKILL'), 5_000);
    const exit = await engine.exited;
    clearTimeout(guard);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(Date.now() - sent).toBeLessThan(5_000);
    expect(engine.stderr).toContain(`${signal} received, stopping`);
  });
});
