/** Scheduling arithmetic: rounds spread over the minute, every interval honoured, stable across minutes. */
import { describe, expect, it } from 'vitest';
import { firstRunDelay, MAX_MESSAGE_BYTES, packMessages, planMinute, spreadFraction } from '../../shared/engine/schedule.ts';

const M = Date.UTC(2026, 10, 22, 3, 0, 0);

describe('planMinute', () => {
  it('runs a 10s check six times a minute, 10s apart, at a stable phase', () => {
    const plan = planMinute([{ id: 'a/b', intervalMs: 10_000 }], M);
    const seconds = plan.map((p) => p.delaySeconds);
    expect(seconds).toHaveLength(6);
    for (let i = 1; i < 6; i++) expect(seconds[i]! - seconds[i - 1]!).toBe(10);
    expect(planMinute([{ id: 'a/b', intervalMs: 10_000 }], M + 60_000).map((p) => p.delaySeconds)).toEqual(seconds);
  });

  it('runs a 5-minute check in exactly one minute out of every five', () => {
    const minutes = Array.from({ length: 20 }, (_, i) => planMinute([{ id: 'svc/slow', intervalMs: 300_000 }], M + i * 60_000).length);
    expect(minutes.reduce((a, b) => a + b, 0)).toBe(4);
    const first = minutes.indexOf(1);
    expect(minutes.map((n, i) => (n === 1 ? (i - first) % 5 : -1)).filter((x) => x >= 0)).toEqual([0, 0, 0, 0]);
  });

  it('spreads many 60s checks over the minute instead of starting them all at once', () => {
    const checks = Array.from({ length: 1_000 }, (_, i) => ({ id: `svc${i}/c`, intervalMs: 60_000 }));
    const plan = planMinute(checks, M);
    expect(plan.reduce((n, p) => n + p.checks.length, 0)).toBe(1_000);
    expect(plan.length).toBeGreaterThan(50);
    expect(Math.max(...plan.map((p) => p.checks.length))).toBeLessThan(60);
    expect(plan.every((p) => p.delaySeconds >= 0 && p.delaySeconds < 60)).toBe(true);
  });

  it('groups rounds into slots, and packs slots into messages of bounded size', () => {
    const checks = Array.from({ length: 1_000 }, (_, i) => ({ id: `svc${i}/c`, intervalMs: 60_000 }));
    const plan = planMinute(checks, M, 10);
    expect(plan.map((p) => p.delaySeconds)).toEqual([0, 10, 20, 30, 40, 50]);
    const messages = packMessages(plan, M, 100);
    expect(messages.reduce((n, m) => n + m.checks.length, 0)).toBe(1_000);
    expect(messages.every((m) => m.checks.length <= 100 && m.at === M + m.delaySeconds * 1000)).toBe(true);
  });

  it('packs a slot into even messages (501 checks: 251 + 250, not 500 + 1), in order, none lost or repeated', () => {
    const ids = Array.from({ length: 501 }, (_, i) => `s/c${i}`);
    const messages = packMessages([{ delaySeconds: 20, checks: ids }], M, 500);
    expect(messages.map((m) => m.checks.length)).toEqual([251, 250]);
    expect(messages.flatMap((m) => m.checks)).toEqual(ids);
    expect(packMessages([{ delaySeconds: 0, checks: ids.slice(0, 3) }], M, 400).map((m) => m.checks.length)).toEqual([3]);
  });

  it('splits by bytes as well: no message body over MAX_MESSAGE_BYTES, whatever the names', () => {
    const ids = Array.from({ length: 400 }, (_, i) => `${'é'.repeat(200)}/c${i}`); // ~410 B of UTF-8 each
    const messages = packMessages([{ delaySeconds: 0, checks: ids }], M, 400);
    expect(messages.length).toBeGreaterThan(1);
    for (const m of messages) expect(Buffer.byteLength(JSON.stringify({ v: 1, at: m.at, checks: m.checks }))).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
    expect(messages.flatMap((m) => m.checks)).toEqual(ids);
    // One name larger than the budget still goes, alone.
    expect(packMessages([{ delaySeconds: 0, checks: ['x'.repeat(70_000), 'a/b'] }], M, 400).map((m) => m.checks.length)).toEqual([1, 1]);
  });
});

describe('spreading', () => {
  it('is a stable fraction in [0, 1) per id, and the first local run comes within 2 s', () => {
    expect(spreadFraction('a/b')).toBe(spreadFraction('a/b'));
    expect(spreadFraction('a/b')).not.toBe(spreadFraction('a/c'));
    for (const id of ['x/y', 'checkout/api', 'z/z']) {
      expect(spreadFraction(id)).toBeGreaterThanOrEqual(0);
      expect(spreadFraction(id)).toBeLessThan(1);
      expect(firstRunDelay(id, 60_000)).toBeLessThan(2_000);
      expect(firstRunDelay(id, 500)).toBeLessThan(500);
    }
  });
});
