/** The local prober pool: bounded concurrency, a bounded queue, no piling up of one check's rounds. */
import { describe, expect, it } from 'vitest';
import { ProberPool } from '../../shared/adapters/local/pool.ts';

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return { open, opened };
}

describe('ProberPool', () => {
  it('never runs more than `concurrency` jobs at once and runs every queued job', async () => {
    const pool = new ProberPool(3, 100);
    let running = 0;
    let peak = 0;
    const done: string[] = [];
    const gates = Array.from({ length: 10 }, () => gate());
    gates.forEach((g, i) => {
      expect(pool.submit(`c${i}`, async () => {
        running++;
        peak = Math.max(peak, running);
        await g.opened;
        running--;
        done.push(`c${i}`);
      })).toBe(true);
    });
    expect(pool.running).toBe(3);
    expect(pool.queued).toBe(7);
    for (const g of gates) {
      g.open();
      await new Promise((r) => setImmediate(r));
    }
    for (let i = 0; i < 50 && done.length < 10; i++) await new Promise((r) => setImmediate(r));
    expect(done).toHaveLength(10);
    expect(peak).toBe(3);
  });

  it('refuses a check that is still queued or running, and takes it again once it finished', async () => {
    const pool = new ProberPool(1, 10);
    const g = gate();
    expect(pool.submit('a', () => g.opened)).toBe(true);
    expect(pool.submit('a', async () => undefined)).toBe(false);
    g.open();
    for (let i = 0; i < 10 && pool.running > 0; i++) await new Promise((r) => setImmediate(r));
    expect(pool.submit('a', async () => undefined)).toBe(true);
  });

  it('refuses work past its capacity and after close, and a failing job frees its slot', async () => {
    const pool = new ProberPool(1, 1);
    const g = gate();
    expect(pool.submit('a', () => g.opened)).toBe(true); // running
    expect(pool.submit('b', async () => { throw new Error('probe crashed'); })).toBe(true); // queued
    expect(pool.submit('c', async () => undefined)).toBe(false); // queue full
    g.open();
    for (let i = 0; i < 20 && (pool.running > 0 || pool.queued > 0); i++) await new Promise((r) => setImmediate(r));
    expect(pool.running).toBe(0);
    pool.close();
    expect(pool.submit('d', async () => undefined)).toBe(false);
  });
});
