/** The pipeline verbs' edges: the prober's deadline, a region whose queue is down. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../shared/adapters/local/sqlite-store.ts';
import { parseConfig } from '../../shared/config/load.ts';
import { probeBatch, scheduleMinute } from '../../shared/engine/pipeline.ts';

let port = 0;
const server = createServer(() => undefined); // never answers
beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }));

const config = (checks: number, extra = '') => parseConfig(`version: 1
settings: { home: us-east-1, regions: [us-east-1, eu-west-1] }
defaults: { timeout: 400ms, retries: 2, interval: 60s }
services:
  - name: web
    checks:
${Array.from({ length: checks }, (_, i) => `      - name: c${i}\n        http: { url: "http://127.0.0.1:${port}/" }${extra}`).join('\n')}
`, 'm.yaml', {}, { target: 'aws' });

describe('probeBatch', () => {
  it('ends every attempt before the deadline: fewer re-tries, and checks it cannot start are skipped, not failed', async () => {
    const clock = { now: () => Date.now() };
    const cfg = config(3);
    // 900 ms left, 400 ms per attempt, retries 2: at most 2 attempts fit, not 3.
    const out = await probeBatch({ config: cfg, region: 'us-east-1', clock }, [...cfg.checks.map((c) => c.id), 'web/ghost'], { deadline: Date.now() + 900, concurrency: 3 });
    expect(out.unknown).toEqual(['web/ghost']);
    expect(out.results).toHaveLength(3);
    for (const r of out.results) {
      expect(r.ok).toBe(false);
      expect(r.reason).toBe(`timed out after 400ms waiting for the response (127.0.0.1:${port}) (2 attempts)`);
      expect(r.attempts).toBe(2);
    }
    // Past the deadline nothing starts: the checks are skipped, not reported as failed.
    const late = await probeBatch({ config: cfg, region: 'us-east-1', clock }, cfg.checks.map((c) => c.id), { deadline: Date.now() - 1 });
    expect(late.results).toEqual([]);
    expect(late.skipped).toEqual(cfg.checks.map((c) => c.id));
  });
});

describe('scheduleMinute', () => {
  it('sends to the regions it can, still evaluates heartbeats, and names the region that failed', async () => {
    const store = new SqliteStore(':memory:');
    const sent: string[] = [];
    const queue = {
      async send(region: string) {
        if (region === 'eu-west-1') throw new Error('SQS unavailable');
        sent.push(region);
      },
    };
    const cfg = parseConfig(`version: 1
settings: { home: us-east-1, regions: [us-east-1, eu-west-1] }
services:
  - name: web
    checks:
      - name: home
        http: { url: "https://example.com/" }
      - name: job
        heartbeat: { token: job-token-123, every: 1m }
`, 'm.yaml', {}, { target: 'aws' });
    const out = await scheduleMinute({ config: cfg, queue, store, clock: { now: () => Date.UTC(2026, 0, 1) } }, Date.UTC(2026, 0, 1));
    expect(sent).toEqual(['us-east-1']);
    expect(out.failedRegions).toEqual(['eu-west-1']);
    expect(out.heartbeats).toBe(1);
    expect((await store.latestResults()).map((r) => r.check)).toEqual(['web/job']);
    store.close();
  });
});
