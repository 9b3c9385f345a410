/**
 * Faults 8, 10, 11 and 14 (hooks) of issue 6, through `pagerless run` as a child process with its
 * production defaults: path tricks, slow and aborting clients, oversized bodies, log redaction and
 * escaping, hook 400s. Raw sockets, because fetch normalises the very paths under test.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, get, post, RunningEngine, tempDir, waitFor, waitUp, writeConfig } from '../e2e/harness.ts';
import { openRaw, rawRequest } from './raw-http.ts';

const STATUS_TOKEN = 'edge-status-token';
const INGEST_TOKEN = 'edge-ingest-token';
const CRON_TOKEN = 'edge-cron-token-secret';
const BACKUP_TOKEN = 'edge-backup-token-secret';
const auth = { authorization: `Bearer ${STATUS_TOKEN}` };
const ingest = { authorization: `Bearer ${INGEST_TOKEN}` };

const CONFIG = `
version: 1
settings: { statusToken: ${STATUS_TOKEN}, ingestToken: ${INGEST_TOKEN} }
defaults: { interval: 1s, timeout: 500ms, failures: 1, recoveries: 1 }
channels:
  stdout: { type: console }
services:
  - name: shop
    alert: [stdout]
    checks:
      - name: api
        http: { url: "http://127.0.0.1:1/" }
      - name: cron
        heartbeat: { token: ${CRON_TOKEN}, every: 1h }
      - name: backup
        heartbeat: { token: ${BACKUP_TOKEN}, every: 1h }
      - name: dd
        webhook: { source: generic }
`;

let engine: RunningEngine;
let port: number;
let base: string;

beforeAll(async () => {
  port = await freePort();
  const config = writeConfig(tempDir(), CONFIG);
  engine = new RunningEngine(['-c', config, '--port', String(port), '--data', tempDir()], { DEBUG: '1' });
  await waitUp(port);
  base = `http://127.0.0.1:${port}`;
  // shop/api (connection refused) is down: a path that reaches the dashboard or a 200 now is the bug.
  await waitFor('shop/api down', async () => (await get(`${base}/status`, auth)).status === 503);
});

afterAll(async () => {
  engine.kill('SIGKILL');
  await engine.exited;
});

const DASHBOARD = '<!doctype html>';

describe('paths (fault 8)', () => {
  const tricks = [
    '//status', '///status', '/status/', '/./status', '/status/.', '/status/..', '/status/%2e%2e', '/status/%2E%2e',
    '/%2Fstatus', '/%2fstatus', '/status%2F', '/status/%2f', '/status/%5c..', '/status\\..', '//', '/.', '/..', '/%2e',
    '//health', '/api/checks/', '//api/checks', `/ping/${CRON_TOKEN}/..`, 'http://x//status', 'http://x/status/..',
  ];

  it('answers 400 to every other spelling of a route, with a token, for GET and HEAD: never the dashboard, never 200', async () => {
    for (const target of tricks) {
      for (const method of ['GET', 'HEAD']) {
        const res = await rawRequest(port, method, target, auth);
        expect({ target, method, status: res.status }).toEqual({ target, method, status: 400 });
        expect(res.body).not.toContain(DASHBOARD);
      }
      // Without a token the same: no 200 by accident.
      expect((await rawRequest(port, 'GET', target)).status).toBe(400);
    }
  });

  it('says what is wrong with the path', async () => {
    expect((await rawRequest(port, 'GET', '//status', auth)).body).toBe('bad path "//status": an empty segment (//) (did you mean "/status"?)\n');
    expect((await rawRequest(port, 'GET', '/status/%2e%2e', auth)).body).toBe('bad path "/status/%2e%2e": a dot segment\n');
  });

  it('serves the real routes as before: the dashboard only at /, the status in absolute form, HEAD without a body', async () => {
    const home = await rawRequest(port, 'GET', '/');
    expect(home.status).toBe(200);
    expect(home.body).toContain(DASHBOARD);
    expect((await rawRequest(port, 'GET', '/?tab=incidents')).body).toContain(DASHBOARD);
    expect((await rawRequest(port, 'GET', 'http://x/status', auth)).status).toBe(503);
    expect((await rawRequest(port, 'GET', 'http://x', auth)).body).toContain(DASHBOARD);
    const head = await rawRequest(port, 'HEAD', '/status', auth);
    expect(head.status).toBe(503);
    expect(head.body).toBe('');
    expect((await rawRequest(port, 'GET', '/st%61tus', auth)).status).toBe(503);
    expect((await rawRequest(port, 'OPTIONS', '*')).status).toBe(400);
  });
});

/** A chunked POST whose body never ends: headers, one byte, then nothing. */
function trickle(path: string, headers: Record<string, string> = {}) {
  const head = [`POST ${path} HTTP/1.1`, 'host: 127.0.0.1', 'content-type: application/json', 'transfer-encoding: chunked', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  return openRaw(port, `${head.join('\r\n')}\r\n\r\n1\r\n{\r\n`);
}

describe('slow clients (fault 11)', () => {
  it('answers 150 trickling POSTs without a token at once with 401 and closes them, without waiting for their bodies', async () => {
    const conns = Array.from({ length: 150 }, () => trickle('/hooks/generic'));
    try {
      const responses = await Promise.all(conns.map((c) => c.response));
      expect(responses.map((r) => r.status)).toEqual(conns.map(() => 401));
      await Promise.all(conns.map((c) => c.closed));
    } finally {
      for (const c of conns) c.socket.destroy();
    }
  });

  it('answers a trickling body that has the token with 408 after the body deadline, and closes', async () => {
    const c = trickle('/hooks/generic', ingest);
    const res = await c.response;
    expect(res.status).toBe(408);
    expect(res.body).toBe('request body not received within 5s\n');
    await c.closed;
  });

  it('closes a connection whose headers never end', async () => {
    const c = openRaw(port, 'GET /status HTTP/1.1\r\nhost: 127.0.0.1\r\n');
    expect((await c.response).status).toBe(408);
    await c.closed;
  });

  it('refuses /ping/{token}/fail bodies over 256 KB with 413, declared or streamed, and records no failure', async () => {
    const declared = openRaw(port, `POST /ping/${CRON_TOKEN}/fail HTTP/1.1\r\nhost: x\r\ncontent-length: ${50 * 1024 * 1024}\r\n\r\n`);
    expect((await declared.response).status).toBe(413);
    await declared.closed;
    const streamed = openRaw(port, `POST /ping/${CRON_TOKEN}/fail HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n`);
    const chunk = 'x'.repeat(64 * 1024);
    for (let i = 0; i < 5; i++) streamed.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`);
    expect((await streamed.response).status).toBe(413);
    await streamed.closed;
    const checks = JSON.parse((await get(`${base}/api/checks`, auth)).body).checks as { check: string; incident: unknown }[];
    expect(checks.find((c) => c.check === 'shop/cron')?.incident).toBeNull();
    // Under the limit, a failure report still works.
    expect((await post(`${base}/ping/${CRON_TOKEN}/fail`, 'exit 2')).status).toBe(200);
  });
});

describe('logs (fault 10)', () => {
  it('logs a client abort as one debug line without the ping token or a stack trace', async () => {
    const c = openRaw(port, `POST /ping/${BACKUP_TOKEN}/fail HTTP/1.1\r\nhost: x\r\ncontent-length: 100\r\n\r\nhalf`);
    await new Promise((r) => setTimeout(r, 200));
    c.socket.destroy();
    await waitFor('the abort logged', () => engine.stderr.includes('client closed the connection'));
    const lines = engine.stderr.split('\n').filter((l) => l.includes('client closed the connection'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/ DEBUG client closed the connection before sending the whole request method=POST path=\/ping\/\*\*\*\/fail$/);
    expect(engine.stderr).not.toContain(BACKUP_TOKEN);
    expect(engine.stderr).not.toContain(CRON_TOKEN);
    expect(engine.stderr).not.toMatch(/^\s+at /m);
  });

  it('escapes newlines and terminal sequences of a hook message in the log and on the console', async () => {
    const forged = 'disk full\n2030-01-01T00:00:00.000Z ERROR forged line\r\x1b[2J\x1b[31mred\u009b31m';
    const res = await post(`${base}/hooks/generic`, JSON.stringify({ check: 'shop/dd', status: 'down', message: forged }), ingest);
    expect(res.status).toBe(202);
    await waitFor('the console line', () => engine.stdout.includes('shop/dd is DOWN'));
    await waitFor('the log line', () => engine.stderr.includes('incident opened: shop/dd'));
    for (const out of [engine.stdout, engine.stderr]) {
      expect(out).not.toMatch(/[\x1b\u009b\r]/);
      expect(out).not.toMatch(/^2030-01-01/m);
      expect(out).toContain('disk full\\n2030-01-01T00:00:00.000Z ERROR forged line\\r\\x1b[2J\\x1b[31mred\\x9b31m');
    }
  });
});

describe('hook 400s (fault 14)', () => {
  it('say which field is wrong and how, in plain words', async () => {
    const error = async (body: string) => {
      const res = await post(`${base}/hooks/generic`, body, ingest);
      expect(res.status).toBe(400);
      return JSON.parse(res.body).error as string;
    };
    expect(await error('{"check":"shop/dd","status":"DOWN"}')).toMatch(/^status must be one of "up", "down" \(lower case\), not "DOWN"/);
    expect(await error('{"status":"down"}')).toMatch(/^check is missing/);
    expect(await error('{"check":7,"status":"down"}')).toMatch(/^check must be a string "service\/check" .*, not the number 7/);
    expect(await error('{"check":"shop/dd","status":"down"')).toMatch(/^body is not valid JSON/);
    expect(await error('{"check":"shop/dd","status":"down"}x')).not.toMatch(/Invalid input|Invalid option|expected string, received/);
  });
});
