/**
 * Delivery through the engine as the composition roots build it (no timing option passed): the
 * documented backoff (1 s doubling, capped at 5 min, 12 attempts) then `notify-failed`; order per
 * incident and channel; lanes. A fake clock drives time; the receiver is real HTTP on loopback.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../shared/adapters/local/sqlite-store.ts';
import { parseConfig } from '../../shared/config/load.ts';
import { runnableItems, type UnsettledItem } from '../../shared/engine/delivery-order.ts';
import { Engine } from '../../shared/engine/engine.ts';
import type { AwsClients, Logger } from '../../shared/ports.ts';
import type { Effect, ProbeResult } from '../../shared/types.ts';

let server: Server;
let base = '';
let status = 500;
const got: { path: string; event: string }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/hang') return; // never answers: the send times out after 10 s
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got.push({ path: req.url ?? '', event: JSON.parse(Buffer.concat(chunks).toString()).event });
      res.statusCode = status;
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => {
  server.close(() => r());
  server.closeAllConnections();
}));

const noAws = {} as AwsClients;

function build(options: { extra?: string; store?: SqliteStore } = {}) {
  const config = parseConfig(`
version: 1
defaults: { interval: 10s, failures: 1 }
channels:
  hook: { type: webhook, url: "${base}/hook" }
  slow: { type: webhook, url: "${base}/hang" }
  out: { type: console }
services:
  - name: shop
    alert: [hook]
    checks:
      - name: api
        tcp: { host: 127.0.0.1, port: 9 }
${options.extra ?? ''}`, 'monitors.yaml', {});
  const lines: string[] = [];
  const printed: string[] = [];
  const log: Logger = { info: (m) => lines.push(`INFO ${m}`), warn: (m) => lines.push(`WARN ${m}`), error: (m) => lines.push(`ERROR ${m}`) };
  const clock = { t: Date.UTC(2026, 11, 2), now() { return this.t; } };
  const store = options.store ?? new SqliteStore(':memory:');
  const engine = new Engine({ config, store, clock, log, print: (l) => printed.push(l), aws: noAws });
  return { engine, store, clock, lines, printed };
}

/** A real SQLite store whose writes fail while `failing` is set, as a full disk makes them. */
class FailingStore extends SqliteStore {
  failing = false;
  private check(): void {
    if (this.failing) throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
  }
  override async commit(c: Parameters<SqliteStore['commit']>[0]) {
    this.check();
    return super.commit(c);
  }
  override async complete(key: string, at: number) {
    this.check();
    return super.complete(key, at);
  }
}

const result = (at: number, ok: boolean, seq?: number): ProbeResult => ({ check: 'shop/api', region: 'local', at, ok, latencyMs: 1, reason: ok ? 'ok' : 'connection refused', ...(seq !== undefined ? { seq } : {}) });

describe('a drain that must end by a time (the evaluator on Lambda)', () => {
  it('claims nothing after claimUntil and leaves it pending for the next drain', async () => {
    status = 200;
    got.length = 0;
    const { engine, store, clock } = build();
    await engine.evaluate([result(clock.t, false)]);
    expect(await engine.drain({ claimUntil: clock.t })).toBe(0);
    expect(got).toEqual([]);
    expect(await store.pendingCount()).toBe(1);
    expect(await engine.drain({ claimUntil: clock.t + 1 })).toBe(1);
    expect(got.map((g) => g.event)).toEqual(['incident.opened']);
  });
});

describe('notification retries with the production defaults', () => {
  it('backs off 1 s, 2 s, 4 s ... capped at 5 min, gives up after 12 attempts and says so in the timeline', async () => {
    status = 500;
    got.length = 0;
    const { engine, store, clock, lines } = build();
    const out = await engine.evaluate([result(clock.t, false)]);
    expect(out.opened).toHaveLength(1);
    const delays: number[] = [];
    let last = clock.t;
    for (let attempt = 1; attempt <= 12; attempt++) {
      // Advance second by second until the next attempt goes out.
      const before = got.length;
      for (let s = 0; s < 400 && got.length === before; s++) {
        await engine.drain();
        if (got.length === before) clock.t += 1_000;
      }
      expect(got.length).toBe(before + 1);
      if (attempt > 1) delays.push(Math.round((clock.t - last) / 1000));
      last = clock.t;
    }
    expect(delays).toEqual([1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300]);
    clock.t += 600_000;
    await engine.drain();
    expect(got).toHaveLength(12); // given up: no 13th attempt
    const timeline = await store.timeline(out.opened[0]!);
    expect(timeline.map((t) => t.kind)).toContain('notify-failed');
    expect(lines.some((l) => /given up after 12 attempt/.test(l))).toBe(true);
    expect(lines.join('\n')).not.toMatch(/NaN/);
  });

  it('an outage that ends while the opening is still retried delivers opened, then resolved', async () => {
    status = 500;
    got.length = 0;
    const { engine, clock } = build();
    await engine.evaluate([result(clock.t, false)]);
    await engine.drain();
    clock.t += 5_000;
    await engine.evaluate([result(clock.t, true)]);
    await engine.drain(); // the opening is retried (and fails); the resolution waits behind it
    expect(got.map((g) => g.event)).toEqual(['incident.opened', 'incident.opened']);
    status = 200;
    clock.t += 2_000;
    await engine.drain();
    expect(got.map((g) => g.event)).toEqual(['incident.opened', 'incident.opened', 'incident.opened', 'incident.resolved']);
  });
});

describe('results ordered by seq, not by the wall clock', () => {
  it('after the clock steps back an hour, new results (higher seq) still count', async () => {
    status = 200;
    const { engine, clock } = build();
    const t0 = clock.t;
    await engine.evaluate([result(t0, true, 1_000)]);
    const out = await engine.evaluate([result(t0 - 3_600_000, false, 1_001)]);
    expect(out.opened).toHaveLength(1);
    // A duplicate (same seq) and an older one are still ignored.
    const dup = await engine.evaluate([result(t0 - 3_600_000, true, 1_001), result(t0 + 99, true, 900)]);
    expect(dup.resolved).toEqual([]);
  });
});

describe('which outbox items may run (delivery-order)', () => {
  const notify = (key: string, incident: string, channel: string, createdAt: number, status: 'pending' | 'claimed' = 'pending', nextAt = createdAt): UnsettledItem => ({
    key, createdAt, status, nextAt,
    effect: { kind: 'notify', key, channel, payload: { event: 'incident.opened', incident: { id: incident } } } as unknown as Effect,
  });

  it('holds a later event of the same incident and channel behind an unsettled earlier one, and nothing else', () => {
    const items = [
      notify('i1:opened:a', 'i1', 'a', 1, 'pending', 500), // retrying later
      notify('i1:resolved:a', 'i1', 'a', 2),
      notify('i1:opened:b', 'i1', 'b', 1),
      notify('i2:opened:a', 'i2', 'a', 3),
    ];
    expect(runnableItems(items, 100, 10).map((i) => i.key)).toEqual(['i1:opened:b', 'i2:opened:a']);
    expect(runnableItems(items, 600, 10).map((i) => i.key)).toEqual(['i1:opened:a', 'i1:opened:b', 'i2:opened:a']);
  });

  it('a claimed (running) item holds its group too; accept may decline an item without holding others', () => {
    const items = [notify('x', 'i1', 'a', 1, 'claimed'), notify('y', 'i1', 'a', 2), notify('z', 'i3', 'c', 3)];
    expect(runnableItems(items, 100, 10).map((i) => i.key)).toEqual(['z']);
    expect(runnableItems([notify('p', 'i4', 'd', 1), notify('q', 'i5', 'e', 2)], 100, 10, (e) => (e as { channel: string }).channel !== 'd').map((i) => i.key)).toEqual(['q']);
  });
});

describe('a slow receiver delays only itself', () => {
  it("an incident that opens while another one's alert hangs is announced at once", async () => {
    status = 200;
    got.length = 0;
    const { engine, clock, printed } = build({ extra: `  - name: web
    alert: [slow]
    checks:
      - name: home
        tcp: { host: 127.0.0.1, port: 9 }
  - name: db
    alert: [out, hook]
    checks:
      - name: main
        tcp: { host: 127.0.0.1, port: 9 }
` });
    await engine.evaluate([{ ...result(clock.t, false), check: 'web/home' }]);
    const draining = engine.drain(); // web/home's alert now hangs in its send
    await new Promise((r) => setTimeout(r, 200));
    await engine.evaluate([{ ...result(clock.t, false), check: 'db/main' }]);
    void engine.drain();
    for (let i = 0; i < 50 && !got.some((g) => g.event === 'incident.opened'); i++) await new Promise((r) => setTimeout(r, 20));
    expect(printed.some((l) => /db\/main/.test(l))).toBe(true);
    expect(got.filter((g) => g.event === 'incident.opened')).toHaveLength(1);
    let hangDone = false;
    void draining.then(() => (hangDone = true));
    expect(hangDone).toBe(false); // the hanging send is still out: nothing waited for it
  }, 20_000);
});

describe('the store fails and recovers', () => {
  it('a transition the store refuses is applied once it recovers; /health has the reason meanwhile', async () => {
    status = 200;
    got.length = 0;
    const store = new FailingStore(':memory:');
    const { engine, clock } = build({ store });
    await engine.evaluate([result(clock.t, true)]);
    store.failing = true;
    const out = await engine.evaluate([result(clock.t + 1_000, false)]);
    expect(out.deferred).toBe(1);
    expect(engine.problem()).toMatch(/^the state store failing since \S+: database or disk is full/);
    await engine.tick(clock.t + 2_000, clock.t + 1_000);
    expect(got).toEqual([]);
    store.failing = false;
    clock.t += 3_000;
    await engine.tick(clock.t, clock.t - 1_000);
    await engine.drain();
    expect(engine.problem()).toBeUndefined();
    expect(got.map((g) => g.event)).toEqual(['incident.opened']);
  });

  it('a delivery whose record the store refuses is not sent again, and is recorded once the store recovers', async () => {
    status = 200;
    got.length = 0;
    const store = new FailingStore(':memory:');
    const { engine, clock } = build({ store });
    await engine.evaluate([result(clock.t, false)]);
    store.failing = true;
    await engine.drain();
    expect(got.map((g) => g.event)).toEqual(['incident.opened']);
    expect(engine.problem()).toMatch(/the outbox failing .*could not be recorded/);
    clock.t += 60_000;
    await engine.drain();
    expect(got).toHaveLength(1); // claimed and not yet recorded: never sent twice
    store.failing = false;
    await engine.drain();
    expect(engine.problem()).toBeUndefined();
    expect(await store.pendingCount()).toBe(0);
    expect(got).toHaveLength(1);
  });
});
