/** Scheduling arithmetic shared by the local scheduler and the AWS scheduler function. */
import { createHash } from 'node:crypto';

/** A stable fraction in [0, 1) per check id, so rounds are spread and stay put across restarts. */
export function spreadFraction(checkId: string): number {
  return createHash('sha1').update(checkId).digest().readUInt32BE(0) / 2 ** 32;
}

/**
 * Delay before a check's first round: spread over the first interval, but never more than 2 s,
 * so a new user sees every check's state seconds after `npm start`.
 */
export function firstRunDelay(checkId: string, intervalMs: number): number {
  return Math.floor(spreadFraction(checkId) * Math.min(intervalMs, 2_000));
}

/** Checks to start at one second of a minute. */
export interface PlannedSecond {
  /** Seconds after the minute's start (SQS DelaySeconds). */
  delaySeconds: number;
  checks: string[];
}

/**
 * The rounds that fall in the minute starting at `minuteStart` (epoch ms), by second. A check with
 * interval I runs at phase + k*I, its phase a stable fraction of I: rounds are spread over the
 * minute, and a check of 5 minutes runs in one minute of five, the same one every time.
 */
export function planMinute(checks: { id: string; intervalMs: number }[], minuteStart: number, slotSeconds = 1): PlannedSecond[] {
  const bySecond = new Map<number, string[]>();
  const end = minuteStart + 60_000;
  for (const c of checks) {
    const phase = Math.floor(spreadFraction(c.id) * c.intervalMs);
    let t = minuteStart + ((((phase - minuteStart) % c.intervalMs) + c.intervalMs) % c.intervalMs);
    for (; t < end; t += c.intervalMs) {
      // Rounds are grouped into slots: fewer, fuller batches cost less (invocations, writes) than one per second.
      const second = Math.floor((t - minuteStart) / 1000 / slotSeconds) * slotSeconds;
      const list = bySecond.get(second);
      if (list) list.push(c.id);
      else bySecond.set(second, [c.id]);
    }
  }
  return [...bySecond.entries()].sort((a, b) => a[0] - b[0]).map(([delaySeconds, ids]) => ({ delaySeconds, checks: ids }));
}

/**
 * A probe message's body stays under this many bytes: SQS bills a request per 64 KiB of payload
 * and takes at most 256 KiB per message and per SendMessageBatch.
 */
export const MAX_MESSAGE_BYTES = 60 * 1024;

/**
 * Pack a minute's plan into messages of at most `perMessage` checks each, as even as they can be
 * (501 checks are two messages of 251 and 250, not 500 and 1), and each under MAX_MESSAGE_BYTES
 * of check names (one message per slot at least).
 */
export function packMessages(plan: PlannedSecond[], minuteStart: number, perMessage: number, maxBytes = MAX_MESSAGE_BYTES): { delaySeconds: number; at: number; checks: string[] }[] {
  const out: { delaySeconds: number; at: number; checks: string[] }[] = [];
  const envelope = 64; // {"v":1,"at":<13 digits>,"checks":[]}
  for (const p of plan) {
    const at = minuteStart + p.delaySeconds * 1000;
    const size = Math.ceil(p.checks.length / Math.max(1, Math.ceil(p.checks.length / perMessage)));
    let checks: string[] = [];
    let bytes = envelope;
    for (const id of p.checks) {
      const b = Buffer.byteLength(JSON.stringify(id)) + 1;
      if (checks.length > 0 && (checks.length >= size || bytes + b > maxBytes)) {
        out.push({ delaySeconds: p.delaySeconds, at, checks });
        checks = [];
        bytes = envelope;
      }
      checks.push(id);
      bytes += b;
    }
    if (checks.length > 0) out.push({ delaySeconds: p.delaySeconds, at, checks });
  }
  return out;
}

/**
 * When each check's next round is due, on a clock that never steps (the monotonic clock locally):
 * a wall-clock correction neither stops probing nor runs a burst of rounds. The first round comes
 * after `firstRunDelay`; later ones one interval after the one before was due (no drift), and
 * rounds missed while the process was busy are skipped, not run in a burst.
 */
export class RoundSchedule {
  private readonly next = new Map<string, { at: number; intervalMs: number }>();

  constructor(checks: { id: string; intervalMs: number }[], start: number, previous?: RoundSchedule) {
    for (const c of checks) {
      const kept = previous?.next.get(c.id);
      this.next.set(c.id, kept && kept.intervalMs === c.intervalMs ? kept : { at: start + firstRunDelay(c.id, c.intervalMs), intervalMs: c.intervalMs });
    }
  }

  /** Ids of the checks due at `now`; each moves on to its next round. */
  due(now: number): string[] {
    const out: string[] = [];
    for (const [id, n] of this.next) {
      if (n.at > now) continue;
      out.push(id);
      n.at += n.intervalMs * (1 + Math.floor((now - n.at) / n.intervalMs));
    }
    return out;
  }

  /** The scheduled checks' ids. */
  ids(): string[] {
    return [...this.next.keys()];
  }
}

/**
 * A sequence that orders results and never goes backwards: time-like (ms), advanced by the
 * monotonic clock, and started above everything already stored so it survives restarts too.
 */
export class MonotonicSequence {
  private last: number;
  private readonly base: number;
  private readonly start: number;

  constructor(floor: number, wallNow: number, monotonicNow: number) {
    this.base = Math.max(wallNow, floor + 1);
    this.start = monotonicNow;
    this.last = floor;
  }

  next(monotonicNow: number): number {
    this.last = Math.max(this.last + 1, Math.floor(this.base + monotonicNow - this.start));
    return this.last;
  }
}
