/**
 * What a long-running engine process keeps in memory between store reads: the checks' states and
 * latest results (what the routes serve), the heartbeat signals its probes read, the sequence that
 * orders results, and results not yet written. The decisions a process makes about its own clock
 * are here too: a stepped wall clock is noticed once and everything held in wall time moves with it;
 * the start-up digest waits for every check's first result. A driver only feeds it.
 */
import type { CompiledConfig } from '../config/compile.ts';
import type { Clock, EngineStore, Logger } from '../ports.ts';
import type { CheckState, ProbeResult } from '../types.ts';
import type { Engine } from './engine.ts';
import type { RoundContext } from './probe.ts';
import { MonotonicSequence } from './schedule.ts';
import { sleep } from '../kit/timers.ts';

/** A store that can move its pending retries onto a stepped wall clock (SQLite). */
export interface LiveStore extends EngineStore {
  shiftPendingRetries(deltaMs: number): Promise<void>;
}

/** A wall clock that moves this much more or less than the monotonic one has been stepped. */
const CLOCK_STEP_MS = 2_000;
/** Results kept in memory while the store refuses them, before the oldest are dropped. */
const MAX_BUFFERED_RESULTS = 100_000;
/** The start-up digest goes out once every check has a result, or after this long. */
const STARTUP_DIGEST_WAIT_MS = 60_000;
/** Results older than `settings.retention` are deleted at start and then this often. */
const PRUNE_EVERY_MS = 3_600_000;

export class LiveChecks {
  readonly states = new Map<string, CheckState>();
  /** Epoch ms of the newest round (shown by `/health` and `/status`). */
  lastRoundAt: number | undefined;
  private readonly latest = new Map<string, ProbeResult>();
  private readonly evaluations = new Set<Promise<void>>();
  private pings = new Map<string, number>();
  private pingFailures = new Map<string, { at: number; message: string }>();
  private watched = new Map<string, number>();
  private buffer: ProbeResult[] = [];
  private wallOffset: number;
  private readonly startedAt: number;
  private startupDigestSent = false;
  private lastTickAt: number;
  private lastPruneAt = -Infinity;

  private constructor(
    private readonly store: LiveStore,
    private readonly clock: Clock,
    private readonly mono: () => number,
    private readonly log: Logger,
    private readonly sequence: MonotonicSequence,
  ) {
    this.startedAt = mono();
    this.wallOffset = clock.now() - this.startedAt;
    this.lastTickAt = clock.now();
  }

  /** Read what the store holds; the sequence starts above every result already stored. */
  static async load(store: LiveStore, clock: Clock, mono: () => number, log: Logger): Promise<LiveChecks> {
    const [states, latest, pings, failures] = await Promise.all([store.listStates(), store.latestResults(), store.lastPings(), store.lastPingFailures()]);
    const floor = Math.max(0, ...states.flatMap((s) => Object.values(s.regions).map((r) => r.seq ?? r.at)));
    const live = new LiveChecks(store, clock, mono, log, new MonotonicSequence(floor, clock.now(), mono()));
    for (const s of states) live.states.set(s.check, s);
    for (const r of latest) live.latest.set(`${r.check}\0${r.region}`, r);
    live.lastRoundAt = Math.max(0, ...latest.map((r) => r.at)) || undefined;
    live.pings = pings;
    live.pingFailures = failures;
    return live;
  }

  latestResults(): ProbeResult[] {
    return [...this.latest.values()];
  }

  /** Checks not yet known are first watched now (a heartbeat's first deadline counts from here). */
  async watch(config: CompiledConfig): Promise<void> {
    this.watched = await this.store.watchStart(config.checks.map((c) => c.id), this.clock.now());
  }

  /** What a probe round reads: the clock and the heartbeat signals. */
  roundContext(region: string): RoundContext {
    return {
      region,
      now: () => this.clock.now(),
      lastPing: (id) => this.pings.get(id),
      lastFailure: (id) => this.pingFailures.get(id),
      watchingSince: (id) => this.watched.get(id) ?? this.clock.now(),
    };
  }

  async recordPing(check: string, at: number): Promise<void> {
    this.pings.set(check, at);
    await this.store.recordPing(check, at);
  }

  async recordPingFailure(check: string, at: number, message: string): Promise<void> {
    this.pingFailures.set(check, { at, message });
    await this.store.recordPingFailure(check, at, message);
  }

  /**
   * A result from a probe or a push: numbered, kept, and evaluated by `engine` (in order per check).
   * Resolves once it is evaluated; never rejects.
   */
  accept(engine: Engine, input: ProbeResult, from: 'round' | 'push'): Promise<void> {
    const result = { ...input, reason: engine.redact(input.reason), seq: this.sequence.next(this.mono()) };
    if (from === 'round') this.lastRoundAt = result.at;
    this.latest.set(`${result.check}\0${result.region}`, result);
    this.buffer.push(result);
    const done = engine.evaluate([result]).then((out) => {
      for (const [id, s] of out.states) this.states.set(id, s);
      if (out.effects > 0) void engine.drain();
    }, (err: unknown) => this.log.error(`could not evaluate a result of ${result.check}`, { error: (err as Error).message }));
    this.evaluations.add(done);
    void done.then(() => this.evaluations.delete(done));
    return done;
  }

  /** Evaluations still running, settled (or `ms` passed). */
  async settled(ms: number): Promise<void> {
    await Promise.race([Promise.allSettled([...this.evaluations]), sleep(ms)]);
  }

  forget(checks: string[]): void {
    for (const id of checks) this.states.delete(id);
  }

  /** Write buffered results; on a store error they stay buffered (bounded) for the next flush. */
  flush(engine: Engine): void {
    if (this.buffer.length === 0) return;
    const batch = this.buffer;
    this.buffer = [];
    this.store.appendResults(batch).then(() => engine.health.ok('the results store'), (err: Error) => {
      const keep = batch.slice(Math.max(0, batch.length - Math.max(0, MAX_BUFFERED_RESULTS - this.buffer.length)));
      this.buffer = [...keep, ...this.buffer];
      engine.health.fail('the results store', err, `${this.buffer.length} result(s) kept in memory for the next try`);
    });
  }

  /**
   * Notice a stepped wall clock (call it often): one warning, and every wall time this process holds
   * (heartbeat signals, the last round, pending retries) moves onto the new time base.
   */
  followWallClock(engine: Engine): void {
    const offset = this.clock.now() - this.mono();
    const step = offset - this.wallOffset;
    this.wallOffset = offset;
    if (Math.abs(step) <= CLOCK_STEP_MS) return;
    this.log.warn(`the wall clock stepped ${step > 0 ? 'forward' : 'back'} by ${Math.round(Math.abs(step) / 1000)}s; rounds and their order follow the monotonic clock, timestamps the new time`);
    for (const [k, v] of this.pings) this.pings.set(k, v + step);
    for (const [k, v] of this.pingFailures) this.pingFailures.set(k, { ...v, at: v.at + step });
    for (const [k, v] of this.watched) this.watched.set(k, v + step);
    if (this.lastRoundAt !== undefined) this.lastRoundAt += step;
    this.lastTickAt += step;
    void this.store.shiftPendingRetries(step).catch((err) => engine.health.fail('the outbox', err));
  }

  /**
   * The engine's tick, with what only a long-running process has: the start-up digest (once every
   * scheduled check has a first result, or after a minute), periodic digests only after it, and
   * the retention's pruning.
   */
  async tick(engine: Engine, scheduled: string[]): Promise<void> {
    const now = this.clock.now();
    this.flush(engine);
    let startedNow = false;
    if (!this.startupDigestSent && engine.config.settings.summary) {
      const withResults = new Set([...this.latest.values()].map((r) => r.check));
      if (scheduled.every((id) => withResults.has(id)) || this.mono() - this.startedAt >= STARTUP_DIGEST_WAIT_MS) {
        this.startupDigestSent = true;
        startedNow = true;
        await engine.digest(now, 0, `start:${now}`);
      }
    }
    // Periodic digests only for periods that end after the start-up one: one ending in this very
    // tick would go out beside it (digests have no delivery order) and could arrive first.
    await engine.tick(now, this.startupDigestSent && !startedNow ? this.lastTickAt : now);
    this.lastTickAt = now;
    if (this.mono() - this.lastPruneAt >= PRUNE_EVERY_MS) {
      this.lastPruneAt = this.mono();
      const removed = await this.store.pruneResults(now - engine.config.settings.retentionMs);
      if (removed > 0) this.log.info(`pruned ${removed} results older than the retention`);
    }
  }
}
