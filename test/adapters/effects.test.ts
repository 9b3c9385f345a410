/**
 * The effect executor with a real SQLite outbox and a loopback webhook receiver: delivery once,
 * retries with backoff, giving up on 4xx, reactions at most once, and recovery after a crash.
 * Incidents are opened the way the engine opens them: a failed result through the Evaluator.
 */
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { SqliteStore } from '../../shared/adapters/local/sqlite-store.ts';
import type { CompiledConfig } from '../../shared/config/compile.ts';
import { parseConfig } from '../../shared/config/load.ts';
import { EffectExecutor, type Logger } from '../../shared/engine/effects.ts';
import { Evaluator } from '../../shared/engine/evaluator.ts';
import { policiesFor } from '../../shared/engine/policy.ts';
import { systemClock } from '../../shared/ports.ts';
import type { Effect, NotifyEvent, TimelineEntry } from '../../shared/types.ts';

interface Delivery {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

const SECRET = 'hook-secret';

/** What each receiver path answers, attempt by attempt (the last status repeats). */
const script: Record<string, { status: number; body: string; hang?: boolean }[]> = {
  '/hook': [{ status: 200, body: 'ok' }],
  '/slow': [{ status: 0, body: '', hang: true }, { status: 200, body: 'ok' }],
  '/flaky': [{ status: 500, body: 'busy' }, { status: 500, body: 'busy' }, { status: 200, body: 'ok' }],
  '/reject': [{ status: 400, body: 'bad payload' }],
  '/announce': [{ status: 200, body: 'ok' }],
  '/restart': [{ status: 200, body: 'restarted' }],
};

let receiver: Server;
let origin: string;
let deliveries: Delivery[] = [];
let config: CompiledConfig;

function to(path: string): Delivery[] {
  return deliveries.filter((d) => d.path === path);
}

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '';
      deliveries.push({ path, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const steps = script[path] ?? [{ status: 404, body: 'no such receiver' }];
      const step = steps[Math.min(to(path).length - 1, steps.length - 1)]!;
      if (step.hang) return; // never answers; the sender's timeout ends the request
      res.writeHead(step.status, { 'content-type': 'text/plain' });
      res.end(step.body);
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', () => resolve()));
  origin = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  const check = (name: string) => ({ name, http: { url: `${origin}/health` } });
  config = parseConfig(stringify({
    version: 1,
    defaults: { failures: 1 },
    channels: {
      hook: { type: 'webhook', url: `${origin}/hook`, secret: SECRET },
      flaky: { type: 'webhook', url: `${origin}/flaky` },
      reject: { type: 'webhook', url: `${origin}/reject` },
      slow: { type: 'webhook', url: `${origin}/slow` },
      announce: { type: 'webhook', url: `${origin}/announce` },
    },
    reactions: {
      'restart-app': { type: 'webhook', url: `${origin}/restart`, method: 'POST', after: 1, cooldown: '5m' },
    },
    services: [
      { name: 'shop', alert: ['hook'], checks: [check('api')] },
      { name: 'flaky', alert: ['flaky'], checks: [check('api')] },
      { name: 'reject', alert: ['reject'], checks: [check('api')] },
      { name: 'slow', alert: ['slow'], checks: [check('api')] },
      { name: 'fixer', alert: ['announce'], react: ['restart-app'], checks: [check('api')] },
    ],
  }), 'monitors.yaml', {});
});

afterAll(async () => {
  await new Promise<void>((resolve) => {
    receiver.close(() => resolve());
    receiver.closeAllConnections();
  });
});

let dir: string;
let file: string;
const stores: SqliteStore[] = [];
let store: SqliteStore;
let logs: string[];

function openStore(): SqliteStore {
  const s = new SqliteStore(file);
  stores.push(s);
  return s;
}

function executorFor(s: SqliteStore, sendTimeoutMs = 2_000): EffectExecutor {
  const line = (level: string) => (m: string, fields?: Record<string, unknown>) => logs.push(`${level} ${m}${fields?.error ? ` error=${String(fields.error)}` : ''}`);
  const log: Logger = { info: line('INFO'), warn: line('WARN'), error: line('ERROR') };
  return new EffectExecutor({ outbox: s, incidents: s, memos: s, config, clock: systemClock, log, print: () => undefined, sendTimeoutMs, baseDelayMs: 10 });
}

beforeEach(() => {
  deliveries = [];
  logs = [];
  dir = mkdtempSync(join(tmpdir(), 'pagerless-effects-'));
  file = join(dir, 'pagerless.db');
  store = openStore();
});

afterEach(() => {
  for (const s of stores.splice(0)) s.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A failed round of `check` through the Evaluator: with failures: 1 it opens the incident. */
async function failRound(s: SqliteStore, check: string, at = Date.now()): Promise<{ incidentId: string; effects: Effect[] }> {
  const t = await new Evaluator(s, policiesFor(config)).apply({ check, region: 'local', at, ok: false, latencyMs: 5, reason: 'status 500 does not match 2xx' });
  if (!t) throw new Error(`unknown check ${check}`);
  const incidentId = t.state.incident?.id;
  if (!incidentId) throw new Error('no incident opened');
  return { incidentId, effects: t.effects };
}

/** Drain until nothing is pending (retries included), in a bounded number of rounds. */
async function settle(executor: EffectExecutor, s: SqliteStore): Promise<void> {
  for (let i = 0; i < 300; i++) {
    await executor.drain();
    if ((await s.pendingCount()) === 0) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`outbox not settled: ${await s.pendingCount()} pending`);
}

function payload(d: Delivery): NotifyEvent {
  return JSON.parse(d.body) as NotifyEvent;
}

function kinds(timeline: TimelineEntry[]): string[] {
  return timeline.map((e) => e.kind);
}

describe('notifications', () => {
  it('delivers incident.opened once, keyed and signed, and records it in the timeline', async () => {
    const { incidentId, effects } = await failRound(store, 'shop/api');
    const notify = effects.find((e) => e.kind === 'notify');
    expect(notify).toBeDefined();
    const executor = executorFor(store);

    expect(await executor.drain()).toBe(1);
    await settle(executor, store);
    expect(await executor.drain()).toBe(0);
    // The same effect produced again (a re-delivered result) is not sent again.
    await store.enqueue([notify!], Date.now());
    await settle(executor, store);

    const got = to('/hook');
    expect(got).toHaveLength(1);
    expect(got[0]!.headers['x-pagerless-delivery']).toBe(notify!.key);
    expect(got[0]!.headers['content-type']).toBe('application/json');
    expect(got[0]!.headers['x-pagerless-signature']).toBe(`sha256=${createHmac('sha256', SECRET).update(got[0]!.body).digest('hex')}`);
    const body = payload(got[0]!);
    expect(body.event).toBe('incident.opened');
    expect(body.incident).toMatchObject({ id: incidentId, check: 'shop/api', service: 'shop', resolvedAt: null, reason: 'status 500 does not match 2xx', regions: { local: 'down' } });

    const timeline = await store.timeline(incidentId);
    expect(kinds(timeline)).toEqual(['opened', 'notified']);
    expect(timeline[1]!.detail).toBe('incident.opened sent to hook');
  });

  it('retries a receiver that answers 500 twice and delivers on the 3rd attempt', async () => {
    const { incidentId, effects } = await failRound(store, 'flaky/api');
    const key = effects.find((e) => e.kind === 'notify')!.key;
    const executor = executorFor(store);
    await settle(executor, store);

    const got = to('/flaky');
    expect(got).toHaveLength(3);
    expect(got.map((d) => d.headers['x-pagerless-delivery'])).toEqual([key, key, key]);
    expect(got.map((d) => d.body)).toEqual([got[0]!.body, got[0]!.body, got[0]!.body]);
    const timeline = await store.timeline(incidentId);
    expect(kinds(timeline)).toEqual(['opened', 'notified']);
    expect(logs.filter((l) => l.startsWith('WARN incident.opened to flaky failed, retrying'))).toHaveLength(2);
    // Settled for good: nothing more is sent.
    await executor.drain();
    expect(to('/flaky')).toHaveLength(3);
  });

  it('retries a notification whose receiver does not answer within the send timeout', async () => {
    const { incidentId, effects } = await failRound(store, 'slow/api');
    const key = effects.find((e) => e.kind === 'notify')!.key;
    const executor = executorFor(store, 200);
    await settle(executor, store);

    const got = to('/slow');
    expect(got.map((d) => d.headers['x-pagerless-delivery'])).toEqual([key, key]);
    expect(logs.filter((l) => l.startsWith('WARN incident.opened to slow failed, retrying'))).toHaveLength(1);
    expect(logs.find((l) => l.startsWith('WARN incident.opened to slow failed'))).toContain('timed out after 200ms');
    expect(kinds(await store.timeline(incidentId))).toEqual(['opened', 'notified']);
  });

  it('gives up on a 400 without retrying and records notify-failed in the timeline', async () => {
    const { incidentId } = await failRound(store, 'reject/api');
    const executor = executorFor(store);
    await settle(executor, store);
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r, 20));
      await executor.drain();
    }

    expect(to('/reject')).toHaveLength(1);
    const timeline = await store.timeline(incidentId);
    expect(kinds(timeline)).toEqual(['opened', 'notify-failed']);
    expect(timeline[1]!.detail).toMatch(/^incident\.opened to reject: POST http:\/\/127\.0\.0\.1:\d+\/… answered 400: bad payload$/);
    expect(await store.pendingCount()).toBe(0);
  });

  it('re-sends a notification a crashed process had claimed but not settled', async () => {
    const { effects } = await failRound(store, 'shop/api');
    const key = effects.find((e) => e.kind === 'notify')!.key;
    expect((await store.claimDue(Date.now(), 50)).map((i) => i.key)).toEqual([key]);
    store.close();

    const restarted = openStore();
    const executor = executorFor(restarted);
    await executor.recover();
    await settle(executor, restarted);
    expect(to('/hook').map((d) => d.headers['x-pagerless-delivery'])).toEqual([key]);
  });
});

describe('reactions', () => {
  it('runs a webhook reaction once, records it as executed and announces reaction.ran', async () => {
    const { incidentId, effects } = await failRound(store, 'fixer/api');
    const react = effects.find((e): e is Extract<Effect, { kind: 'react' }> => e.kind === 'react');
    expect(react).toMatchObject({ reaction: 'restart-app', decision: 'run', announceTo: ['announce'] });
    const executor = executorFor(store);
    await settle(executor, store);
    await executor.drain();

    const restarts = to('/restart');
    expect(restarts).toHaveLength(1);
    expect(JSON.parse(restarts[0]!.body)).toMatchObject({ event: 'reaction.ran', check: 'fixer/api', incident: { id: incidentId } });

    const timeline = await store.timeline(incidentId);
    const reaction = timeline.filter((e) => e.kind === 'reaction');
    expect(reaction.map((e) => e.detail)).toEqual([`restart-app (webhook) executed: POST ${origin}/… succeeded`]);

    const announced = to('/announce').filter((d) => payload(d).event === 'reaction.ran');
    expect(announced).toHaveLength(1);
    expect(announced[0]!.headers['x-pagerless-delivery']).toBe(`${react!.key}:ran:announce`);
    expect(payload(announced[0]!)).toMatchObject({
      event: 'reaction.ran',
      incident: { id: incidentId, check: 'fixer/api' },
      reaction: { reaction: 'restart-app', type: 'webhook', outcome: 'executed' },
    });
    expect(to('/announce').filter((d) => payload(d).event === 'incident.opened')).toHaveLength(1);
  });

  it('does not run the reaction again within its cooldown; the skip is recorded', async () => {
    // Two failed rounds a minute apart, both in the past so that their effects are due now.
    const at = Date.now() - 120_000;
    const { incidentId } = await failRound(store, 'fixer/api', at);
    const executor = executorFor(store);
    await settle(executor, store);
    await new Evaluator(store, policiesFor(config)).apply({ check: 'fixer/api', region: 'local', at: at + 60_000, ok: false, latencyMs: 5, reason: 'status 500 does not match 2xx' });
    await settle(executor, store);

    expect(to('/restart')).toHaveLength(1);
    const details = (await store.timeline(incidentId)).filter((e) => e.kind === 'reaction').map((e) => e.detail);
    expect(details).toHaveLength(2);
    expect(details[0]).toMatch(/^restart-app \(webhook\) executed: /);
    expect(details[1]).toMatch(/^restart-app \(webhook\) skipped: in cooldown: /);
  });

  it('records a reaction a crashed process left claimed as failed on recover() and does not re-run it', async () => {
    const { incidentId, effects } = await failRound(store, 'fixer/api');
    const react = effects.find((e) => e.kind === 'react')!;
    // The crashed process had claimed everything due, then died before settling anything.
    expect((await store.claimDue(Date.now(), 50)).map((i) => i.key).sort()).toEqual(effects.map((e) => e.key).sort());
    store.close();

    const restarted = openStore();
    const executor = executorFor(restarted);
    await executor.recover();
    await settle(executor, restarted);
    await executor.drain();

    expect(to('/restart')).toHaveLength(0);
    const reaction = (await restarted.timeline(incidentId)).filter((e) => e.kind === 'reaction');
    expect(reaction.map((e) => e.detail)).toEqual(['restart-app (webhook) failed: interrupted by a restart before its outcome was known; not re-run']);
    const announced = to('/announce').filter((d) => payload(d).event === 'reaction.ran');
    expect(announced).toHaveLength(1);
    expect(announced[0]!.headers['x-pagerless-delivery']).toBe(`${react.key}:ran:announce`);
    expect(payload(announced[0]!).reaction).toMatchObject({ reaction: 'restart-app', outcome: 'failed' });
    // A second start-up finds nothing left to recover.
    await executor.recover();
    await executor.drain();
    expect(to('/restart')).toHaveLength(0);
    expect(to('/announce').filter((d) => payload(d).event === 'reaction.ran')).toHaveLength(1);
  });
});
