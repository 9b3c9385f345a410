/**
 * The engine under faults, driven as a user runs it: `pagerless run` as a child process with its
 * production defaults, receivers that fail and recover, a wall clock that steps, a second engine,
 * a config that changes under it. Each test would have caught the fault it is named after.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CLI, cli, close, freePort, get, listen, RunningEngine, startTarget, tempDir, waitFor, waitUp, writeConfig } from '../e2e/harness.ts';

type Mode = 'ok' | 'error' | 'hang' | 'reset';

interface Delivery {
  path: string;
  event: string;
  id: string;
  key: string;
  answered: Mode;
}

/** A webhook receiver whose answer the test switches per path; it records every attempt. */
async function startSwitchableReceiver() {
  const modes = new Map<string, Mode>();
  const attempts: Delivery[] = [];
  const hanging = new Set<ServerResponse>();
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      const mode = modes.get(path) ?? 'ok';
      let body: any = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        // not JSON: recorded with empty fields
      }
      attempts.push({ path, event: body.event ?? '', id: body.incident?.id ?? '', key: String(req.headers['x-pagerless-delivery'] ?? ''), answered: mode });
      if (mode === 'ok') res.end('ok');
      else if (mode === 'error') {
        res.statusCode = 500;
        res.end('receiver down');
      } else if (mode === 'reset') req.socket.destroy();
      else hanging.add(res);
    });
  });
  const port = await listen(server);
  return {
    url: `http://127.0.0.1:${port}`,
    attempts,
    hanging,
    setMode: (path: string, mode: Mode) => modes.set(path, mode),
    /** Deliveries answered 2xx at `path`, in arrival order. */
    delivered: (path: string) => attempts.filter((a) => a.path === path && a.answered === 'ok'),
    close: async () => {
      for (const r of hanging) r.destroy();
      await close(server);
    },
  };
}

let target: Awaited<ReturnType<typeof startTarget>>;
let receiver: Awaited<ReturnType<typeof startSwitchableReceiver>>;
const engines: RunningEngine[] = [];

beforeAll(async () => {
  target = await startTarget();
  receiver = await startSwitchableReceiver();
});

afterEach(async () => {
  for (const e of engines.splice(0)) {
    e.kill('SIGKILL');
    await e.exited;
  }
  target.setMode('ok');
  receiver.attempts.length = 0;
  for (const r of receiver.hanging) r.destroy();
  receiver.hanging.clear();
  for (const p of ['/a', '/b', '/restart']) receiver.setMode(p, 'ok');
});

afterAll(async () => {
  await target.close();
  await receiver.close();
});

/** The defaults production uses; only the check's pace is set, as any user would. */
function config(extra = ''): string {
  return `
version: 1
defaults: { interval: 1s, timeout: 500ms, failures: 2, recoveries: 1 }
channels:
  a: { type: webhook, url: "${receiver.url}/a" }
  b: { type: webhook, url: "${receiver.url}/b" }
services:
  - name: shop
    alert: [a, b]
    checks:
      - name: api
        http: { url: "${target.url}" }
${extra}`;
}

async function start(yaml: string, options: { dataDir?: string; env?: Record<string, string>; configFile?: string } = {}) {
  const port = await freePort();
  const file = options.configFile ?? writeConfig(tempDir(), yaml);
  if (options.configFile) writeFileSync(file, yaml);
  const dataDir = options.dataDir ?? tempDir();
  const engine = new RunningEngine(['-c', file, '--port', String(port), '--data', dataDir], options.env);
  engines.push(engine);
  await waitUp(port);
  return { engine, base: `http://127.0.0.1:${port}`, dataDir, file };
}

const apiCheck = async (base: string, id = 'shop/api') => JSON.parse((await get(`${base}/api/checks`)).body).checks.find((c: { check: string }) => c.check === id);

describe('notifications when a receiver fails', () => {
  it('a receiver answering 500 is retried with backoff and gets each event exactly once, in order, once it recovers', async () => {
    receiver.setMode('/a', 'error');
    const { engine, base } = await start(config());
    await waitFor('up', async () => (await apiCheck(base))?.state === 'up');
    target.setMode('error');
    await waitFor('two failed attempts at /a', () => receiver.attempts.filter((a) => a.path === '/a' && a.event === 'incident.opened').length >= 2);
    // The outage ends while /a still refuses: the resolution must wait behind the opening.
    target.setMode('ok');
    await waitFor('resolved at /b', () => receiver.delivered('/b').some((d) => d.event === 'incident.resolved'));
    await waitFor('a third attempt', () => receiver.attempts.filter((a) => a.path === '/a').length >= 3, 15_000);
    expect(receiver.attempts.filter((a) => a.path === '/a' && a.event === 'incident.resolved')).toEqual([]);
    receiver.setMode('/a', 'ok');
    await waitFor('both events at /a', () => receiver.delivered('/a').length >= 2, 30_000);
    await new Promise((r) => setTimeout(r, 1_500));
    const a = receiver.delivered('/a');
    expect(a.map((d) => d.event)).toEqual(['incident.opened', 'incident.resolved']);
    expect(new Set(a.map((d) => d.key)).size).toBe(2);
    expect(receiver.delivered('/b').map((d) => d.event)).toEqual(['incident.opened', 'incident.resolved']);
    // The documented backoff, in words a person reads: 1 s, then 2 s, ...
    expect(engine.stderr).toMatch(/incident\.opened to a failed, retrying in 1s/);
    expect(engine.stderr).toMatch(/incident\.opened to a failed, retrying in 2s/);
    expect(engine.stderr).not.toMatch(/NaN|NOT NULL/);
  }, 60_000);

  it.each(['hang', 'reset'] as const)('a receiver that %ss delays only itself: the other channel and the reaction are not held up', async (mode) => {
    receiver.setMode('/a', mode);
    const { base } = await start(config(`    react: [restart]
reactions:
  restart: { type: webhook, url: "${receiver.url}/restart", after: 1, cooldown: 1h }
`));
    await waitFor('up', async () => (await apiCheck(base))?.state === 'up');
    target.setMode('error');
    await waitFor('opened at /b', () => receiver.delivered('/b').some((d) => d.event === 'incident.opened'));
    await waitFor('the reaction ran', () => receiver.delivered('/restart').length === 1);
    if (mode === 'hang') {
      // /a's request is still open (10 s send timeout by default) while /b and the reaction went through.
      expect(receiver.hanging.size).toBeGreaterThanOrEqual(1);
      expect(receiver.delivered('/a')).toEqual([]);
    }
    receiver.setMode('/a', 'ok');
    await waitFor('opened at /a after its recovery', () => receiver.delivered('/a').some((d) => d.event === 'incident.opened'), 40_000);
    expect(receiver.delivered('/a').filter((d) => d.event === 'incident.opened')).toHaveLength(1);
    expect(receiver.delivered('/b').filter((d) => d.event === 'incident.opened')).toHaveLength(1);
  }, 60_000);

  it('kill -9 while a retry is pending: after a restart the event is delivered once', async () => {
    receiver.setMode('/a', 'error');
    const dataDir = tempDir();
    const yaml = config();
    const first = await start(yaml, { dataDir });
    await waitFor('up', async () => (await apiCheck(first.base))?.state === 'up');
    target.setMode('error');
    await waitFor('a failed attempt', () => receiver.attempts.some((a) => a.path === '/a' && a.event === 'incident.opened'));
    // /b answered; let the engine record that (a crash between a receiver's answer and its record
    // re-sends once after the restart, with the same x-pagerless-delivery key for the receiver to drop).
    await waitFor('opened at /b', () => receiver.delivered('/b').some((d) => d.event === 'incident.opened'));
    await new Promise((r) => setTimeout(r, 300));
    first.engine.kill('SIGKILL');
    await first.engine.exited;
    receiver.setMode('/a', 'ok');
    const second = await start(yaml, { dataDir });
    await waitFor('delivered after the restart', () => receiver.delivered('/a').some((d) => d.event === 'incident.opened'), 20_000);
    await new Promise((r) => setTimeout(r, 2_000));
    expect(receiver.delivered('/a').filter((d) => d.event === 'incident.opened')).toHaveLength(1);
    expect(receiver.delivered('/b').filter((d) => d.event === 'incident.opened')).toHaveLength(1);
    expect(second.engine.stderr).not.toMatch(/incident opened/); // the same outage, not a new incident
  }, 60_000);
});

const FAKETIME_LIB = '/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1';

describe('clock steps (faketime moves the wall clock of the running engine; the monotonic clock stays true, as with NTP)', () => {
  it.each([['back', '-1h'], ['forward', '+1h']])('after the wall clock steps %s an hour, an outage still opens an incident within seconds, and one warning is logged', async (_dir, step) => {
    expect(existsSync(FAKETIME_LIB), 'faketime is installed (.ci/run installs it)').toBe(true);
    const spec = join(tempDir(), 'faketime');
    writeFileSync(spec, '+0\n');
    const env = { LD_PRELOAD: FAKETIME_LIB, FAKETIME_TIMESTAMP_FILE: spec, FAKETIME_NO_CACHE: '1', FAKETIME_DONT_FAKE_MONOTONIC: '1' };
    const { engine, base } = await start(config(), { env });
    await waitFor('up', async () => (await apiCheck(base))?.state === 'up');
    writeFileSync(spec, `${step}\n`);
    await waitFor('the step noticed', () => /the wall clock stepped/.test(engine.stderr), 10_000);
    target.setMode('error');
    const opened = await waitFor('incident.opened', () => receiver.delivered('/b').find((d) => d.event === 'incident.opened'), 15_000);
    expect(opened.id).toMatch(/^shop\.api\./);
    target.setMode('ok');
    await waitFor('incident.resolved', () => receiver.delivered('/b').find((d) => d.event === 'incident.resolved'), 15_000);
    expect(engine.stderr.match(/the wall clock stepped/g)).toHaveLength(1);
    expect((await get(`${base}/health`)).status).toBe(200);
  }, 60_000);
});

describe('a clock step while a notification is being retried', () => {
  it('after the wall clock steps back an hour, the pending retry still goes out in seconds, and opened still precedes resolved', async () => {
    expect(existsSync(FAKETIME_LIB)).toBe(true);
    const spec = join(tempDir(), 'faketime');
    writeFileSync(spec, '+0\n');
    const env = { LD_PRELOAD: FAKETIME_LIB, FAKETIME_TIMESTAMP_FILE: spec, FAKETIME_NO_CACHE: '1', FAKETIME_DONT_FAKE_MONOTONIC: '1' };
    receiver.setMode('/a', 'error');
    const { engine, base } = await start(config(), { env });
    await waitFor('up', async () => (await apiCheck(base))?.state === 'up');
    target.setMode('error');
    await waitFor('a failed attempt at /a', () => receiver.attempts.some((a) => a.path === '/a' && a.event === 'incident.opened'));
    writeFileSync(spec, '-1h\n');
    await waitFor('the step noticed', () => /the wall clock stepped back/.test(engine.stderr), 10_000);
    target.setMode('ok');
    await waitFor('resolved at /b', () => receiver.delivered('/b').some((d) => d.event === 'incident.resolved'), 15_000);
    receiver.setMode('/a', 'ok');
    await waitFor('both at /a', () => receiver.delivered('/a').length >= 2, 20_000);
    expect(receiver.delivered('/a').map((d) => d.event)).toEqual(['incident.opened', 'incident.resolved']);
  }, 60_000);
});

describe('the data dir', () => {
  it('a second engine on the same data dir exits 1 naming the pid of the first', async () => {
    const dataDir = tempDir();
    const first = await start(config(), { dataDir });
    const port = await freePort();
    const second = await cli(['run', '-c', first.file, '--port', String(port), '--data', dataDir]);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`data dir ${dataDir} is in use by pid ${first.engine.child.pid}`);
    // After kill -9 the lock goes with the process: a new engine starts.
    first.engine.kill('SIGKILL');
    await first.engine.exited;
    const third = await start(config(), { dataDir });
    expect((await get(`${third.base}/health`)).status).toBeGreaterThan(0);
  }, 60_000);

  it('says what is wrong with a data dir that is a file, or a database that is not one', async () => {
    const dir = tempDir();
    const file = join(dir, 'not-a-dir');
    writeFileSync(file, 'x');
    const asFile = await cli(['run', '-c', writeConfig(dir, config()), '--port', '0', '--data', file]);
    expect(asFile.code).toBe(1);
    expect(asFile.stderr).toBe(`pagerless: --data ${file} is a file, not a folder: point --data at a folder (it is made if missing)\n`);
    const garbage = tempDir();
    writeFileSync(join(garbage, 'pagerless.db'), 'this is not sqlite'.repeat(300));
    const notDb = await cli(['run', '-c', writeConfig(dir, config()), '--port', '0', '--data', garbage]);
    expect(notDb.code).toBe(1);
    expect(notDb.stderr).toBe(`pagerless: ${join(garbage, 'pagerless.db')} is not a database (file is not a database): move it away, or point --data at another folder\n`);
  });
});

describe('a data dir this user cannot write', () => {
  it('exits 1 saying --data is not writable (as another user when the tests run as root: root writes anywhere)', async () => {
    const dir = tempDir();
    chmodSync(dir, 0o755);
    const file = writeConfig(dir, config());
    chmodSync(file, 0o644);
    const data = join(dir, 'data');
    mkdirSync(data, { mode: 0o755 });
    const asRoot = process.getuid?.() === 0;
    if (!asRoot) chmodSync(data, 0o555);
    const out = await new Promise<{ code: number; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [CLI, 'run', '-c', file, '--port', '0', '--data', data], {
        cwd: dir, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, stdio: ['ignore', 'ignore', 'pipe'],
        ...(asRoot ? { uid: 65534, gid: 65534 } : {}),
      });
      let stderr = '';
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      child.once('close', (code) => {
        clearTimeout(timer);
        resolve({ code: code ?? -1, stderr });
      });
    });
    expect(out).toEqual({ code: 1, stderr: `pagerless: --data ${data} is not writable (permission denied): point --data at a folder this user can write\n` });
  });
});

describe('the config changes under a running engine', () => {
  const second = `      - name: web
        tcp: { host: 127.0.0.1, port: ${0} }
`;

  it('SIGHUP reloads without losing state; a removed check\'s incident is resolved and announced once; a bad config is refused and the old one keeps running', async () => {
    const withWeb = config(second.replace(`port: 0`, `port: 9`)); // nothing listens on 9: web is down
    const { engine, base, file, dataDir } = await start(withWeb);
    const opened = await waitFor('web opened', () => receiver.delivered('/b').find((d) => d.event === 'incident.opened' && d.id.startsWith('shop.web.')));
    await waitFor('api up', async () => (await apiCheck(base))?.state === 'up');

    // A bad config: refused with its errors, the running one stays.
    writeFileSync(file, withWeb.replace('interval: 1s', 'interval: soon'));
    engine.kill('SIGHUP');
    await waitFor('the refusal', () => /config not reloaded, still running the previous one/.test(engine.stderr));
    expect(engine.stderr).toMatch(/interval/);
    expect(engine.child.exitCode).toBeNull();
    expect((await apiCheck(base, 'shop/web'))?.state).toBe('down');

    // The check removed: resolved with the reason, once, and api keeps its state.
    writeFileSync(file, config());
    engine.kill('SIGHUP');
    const resolved = await waitFor('web resolved', () => receiver.attempts.find((d) => d.event === 'incident.resolved' && d.id === opened.id));
    expect(resolved.path).toMatch(/^\/[ab]$/);
    await waitFor('config reloaded', () => /config reloaded: 1 checks/.test(engine.stderr));
    const { incident } = JSON.parse((await get(`${base}/api/incidents/${encodeURIComponent(opened.id)}`)).body);
    expect(incident).toMatchObject({ resolution: 'check removed from the config' });
    expect(incident.resolvedAt).not.toBeNull();
    expect((await apiCheck(base))?.state).toBe('up');
    expect(await apiCheck(base, 'shop/web')).toBeUndefined();

    // A restart announces nothing again.
    engine.kill('SIGKILL');
    await engine.exited;
    const before = receiver.attempts.length;
    await start(config(), { dataDir, configFile: file });
    await new Promise((r) => setTimeout(r, 2_500));
    expect(receiver.attempts.slice(before).filter((a) => a.id === opened.id)).toEqual([]);
    for (const path of ['/a', '/b']) expect(receiver.delivered(path).filter((d) => d.id === opened.id && d.event === 'incident.resolved')).toHaveLength(1);
  }, 60_000);

  it('an incident of a check removed while the engine was stopped is resolved at start', async () => {
    const dataDir = tempDir();
    const withWeb = config(second.replace(`port: 0`, `port: 9`));
    const first = await start(withWeb, { dataDir });
    const opened = await waitFor('web opened', () => receiver.delivered('/a').find((d) => d.event === 'incident.opened' && d.id.startsWith('shop.web.')));
    first.engine.kill('SIGTERM');
    await first.engine.exited;
    await start(config(), { dataDir });
    await waitFor('resolved at start', () => receiver.delivered('/a').find((d) => d.event === 'incident.resolved' && d.id === opened.id));
  }, 60_000);
});

describe('secrets', () => {
  it('a value from ${env:...} never shows in /api/checks, /api/incidents, the log or an alert', async () => {
    const secret = 'sup3r-s3cret-key-value';
    const yaml = `
version: 1
defaults: { interval: 1s, timeout: 500ms, failures: 1 }
channels:
  a: { type: webhook, url: "${receiver.url}/a" }
  out: { type: console }
services:
  - name: shop
    alert: [a, out]
    checks:
      - name: api
        http: { url: "${target.url}?key=\${env:API_KEY}" }
`;
    const { engine, base } = await start(yaml, { env: { API_KEY: secret, DEBUG: '1' } });
    target.setMode('error');
    await waitFor('opened at /a', () => receiver.delivered('/a').some((d) => d.event === 'incident.opened'));
    const checks = (await get(`${base}/api/checks`)).body;
    expect(checks).toContain('key=***');
    const incidents = (await get(`${base}/api/incidents`)).body;
    for (const shown of [checks, incidents, engine.stderr, engine.stdout]) expect(shown).not.toContain(secret);
    expect(receiver.attempts.length).toBeGreaterThan(0);
  }, 60_000);
});

describe('pagerless --version', () => {
  it('prints the version of the package', async () => {
    const out = await new Promise<string>((resolve) => {
      const child = spawn(process.execPath, [join(import.meta.dirname, '../../bin/pagerless.js'), '--version']);
      let s = '';
      child.stdout.on('data', (d: Buffer) => (s += d.toString()));
      child.on('close', () => resolve(s));
    });
    expect(out.trim()).toMatch(/^pagerless \d+\.\d+\.\d+$/);
  });
});
