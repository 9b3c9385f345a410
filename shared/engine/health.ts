/**
 * What keeps the engine from doing its job (a store that cannot write, ...). `/health` answers 503
 * with it; each failing part is logged when it starts failing and then at most once a minute, and
 * once more when it recovers.
 */
import type { Logger } from '../ports.ts';

const LOG_EVERY_MS = 60_000;

export class EngineHealth {
  private readonly failing = new Map<string, { since: number; error: string; loggedAt: number; count: number }>();

  constructor(
    private readonly log: Logger,
    private readonly now: () => number,
  ) {}

  /** `part` failed with `err`; `what` says what waits because of it. */
  fail(part: string, err: unknown, what = ''): void {
    const error = err instanceof Error ? err.message : String(err);
    const now = this.now();
    const f = this.failing.get(part);
    if (!f) {
      this.failing.set(part, { since: now, error, loggedAt: now, count: 1 });
      this.log.error(`${part} failing: ${error}${what ? `; ${what}` : ''} (retried; logged at most once a minute)`);
      return;
    }
    f.error = error;
    f.count++;
    if (now - f.loggedAt >= LOG_EVERY_MS || now < f.loggedAt) {
      f.loggedAt = now;
      this.log.error(`${part} still failing: ${error}${what ? `; ${what}` : ''} (${f.count} failures since ${new Date(f.since).toISOString()})`);
    }
  }

  ok(part: string): void {
    const f = this.failing.get(part);
    if (!f) return;
    this.failing.delete(part);
    this.log.info(`${part} recovered after ${f.count} failure(s)`);
  }

  /** Carry over what another tracker knows is failing (a reload builds a new engine). */
  adopt(other: EngineHealth): void {
    for (const [part, f] of other.failing) if (!this.failing.has(part)) this.failing.set(part, { ...f });
  }

  /** One line for `/health`, or undefined when nothing fails. */
  problem(): string | undefined {
    if (this.failing.size === 0) return undefined;
    return [...this.failing].map(([part, f]) => `${part} failing since ${new Date(f.since).toISOString()}: ${f.error}`).join('; ');
  }
}
