/**
 * `pagerless run`: the shared engine wired to local adapters. An in-process scheduler feeds a
 * bounded queue drained by a prober pool; results go to SQLite in batches and through the same
 * evaluator and effect executor the AWS functions use; one HTTP server serves the routes.
 */
import { join } from 'node:path';
import type { Dispatcher } from 'undici';
import type { CompiledCheck, CompiledConfig } from '../../config/compile.ts';
import { LOCAL_REGION } from '../../config/compile.ts';
import { checkKinds } from '../../checks/index.ts';
import { EffectExecutor, type Logger } from '../../engine/effects.ts';
import { Evaluator } from '../../engine/evaluator.ts';
import { policiesFor } from '../../engine/policy.ts';
import { runRound } from '../../engine/probe.ts';
import { firstRunDelay } from '../../engine/schedule.ts';
import { buildSummary } from '../../engine/summary.ts';
import { createRouter } from '../../http/routes.ts';
import { systemClock, type Clock } from '../../ports.ts';
import type { CheckState, ProbeResult } from '../../types.ts';
import { lazyAwsClients } from '../aws/clients.ts';
import { ProberPool } from './pool.ts';
import { startServer } from './server.ts';
import { SqliteStore } from './sqlite-store.ts';

export interface LocalEngineOptions {
  config: CompiledConfig;
  /** Folder of the SQLite database. */
  dataDir: string;
  /** 0 picks a free port. */
  port: number;
  host?: string;
  log: Logger;
  /** Where the console channel writes. */
  print(line: string): void;
  clock?: Clock;
  dispatcher?: Dispatcher;
  /** Backoff of failed notifications. @default 1_000 */
  retryBaseDelayMs?: number;
}

const FLUSH_EVERY_MS = 1_000;
const PRUNE_EVERY_MS = 3_600_000;
/** Results kept in memory while the database refuses writes, before the oldest are dropped. */
const MAX_BUFFERED_RESULTS = 100_000;

export class LocalEngine {
  readonly store: SqliteStore;
  port = 0;
  private readonly clock: Clock;
  private readonly evaluator: Evaluator;
  private readonly executor: EffectExecutor;
  private readonly pool: ProberPool;
  private readonly states = new Map<string, CheckState>();
  private readonly latest = new Map<string, ProbeResult>();
  private readonly chains = new Map<string, Promise<void>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly skipped = new Set<string>();
  private pings = new Map<string, number>();
  private pingFailures = new Map<string, { at: number; message: string }>();
  private watched = new Map<string, number>();
  private buffer: ProbeResult[] = [];
  private lastRound: number | undefined;
  private closeServer: (() => Promise<void>) | undefined;
  private stopped = false;

  private constructor(private readonly o: LocalEngineOptions) {
    this.clock = o.clock ?? systemClock;
    this.store = new SqliteStore(join(o.dataDir, 'pagerless.db'));
    this.evaluator = new Evaluator(this.store, policiesFor(o.config));
    this.executor = new EffectExecutor({
      outbox: this.store,
      incidents: this.store,
      memos: this.store,
      config: o.config,
      aws: lazyAwsClients(),
      clock: this.clock,
      log: o.log,
      print: o.print,
      dispatcher: o.dispatcher,
      baseDelayMs: o.retryBaseDelayMs,
    });
    this.pool = new ProberPool(o.config.settings.concurrency, Math.max(1_000, o.config.checks.length * 2));
  }

  static async start(options: LocalEngineOptions): Promise<LocalEngine> {
    const engine = new LocalEngine(options);
    try {
      await engine.boot();
    } catch (err) {
      await engine.stop();
      throw err;
    }
    return engine;
  }

  private async boot(): Promise<void> {
    const { config, log } = this.o;
    for (const s of await this.store.listStates()) this.states.set(s.check, s);
    for (const r of await this.store.latestResults()) this.latest.set(`${r.check}\0${r.region}`, r);
    this.lastRound = Math.max(0, ...[...this.latest.values()].map((r) => r.at)) || undefined;
    this.pings = await this.store.lastPings();
    this.pingFailures = await this.store.lastPingFailures();
    this.watched = await this.store.watchStart(config.checks.map((c) => c.id), this.clock.now());
    await this.executor.recover();
    const router = createRouter({
      config,
      clock: this.clock,
      states: async () => this.states,
      latestResults: async () => [...this.latest.values()],
      listIncidents: (limit) => this.store.listIncidents(limit),
      getIncident: (id) => this.store.getIncident(id),
      timeline: (id) => this.store.timeline(id),
      lastRoundAt: async () => this.lastRound,
      problem: async () => undefined,
      push: (result) => this.accept(result),
      recordPing: async (check, at) => {
        this.pings.set(check, at);
        await this.store.recordPing(check, at);
      },
      recordPingFailure: async (check, at, message) => {
        this.pingFailures.set(check, { at, message });
        await this.store.recordPingFailure(check, at, message);
      },
    });
    const server = await startServer(router, { port: this.o.port, host: this.o.host, log });
    this.port = server.port;
    this.closeServer = server.close;
    for (const check of config.checks) {
      if (checkKinds[check.kind].mode === 'probe') this.schedule(check, firstRunDelay(check.id, check.intervalMs));
    }
    this.every(FLUSH_EVERY_MS, () => this.flush());
    this.every(FLUSH_EVERY_MS, () => this.drain());
    this.every(PRUNE_EVERY_MS, () => this.prune());
    await this.prune();
    this.scheduleSummaries();
    this.drain();
    const open = [...this.states.values()].filter((s) => s.incident).length;
    log.info(`watching ${config.checks.length} checks in ${config.services.length} services; ${open} open incident(s); http://${this.o.host ?? '127.0.0.1'}:${this.port}/`);
  }

  /** Stop probing, flush, close. Probes still running are abandoned (their results are dropped). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.pool.close();
    await Promise.race([Promise.allSettled([...this.chains.values()]), sleep(1_500)]);
    await Promise.race([this.executor.drain().catch(() => 0), sleep(1_500)]);
    await this.closeServer?.();
    this.flush();
    this.store.close();
  }

  private schedule(check: CompiledCheck, delayMs: number): void {
    const planned = this.clock.now() + delayMs;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (this.stopped) return;
      const queued = this.pool.submit(check.id, () => this.probe(check));
      if (queued) {
        this.skipped.delete(check.id);
      } else if (!this.skipped.has(check.id)) {
        // Once per streak: a target slower than its interval would otherwise log every round.
        this.skipped.add(check.id);
        this.o.log.warn(`skipping rounds of ${check.id}: the previous round is still queued or running (timeout ${check.timeoutMs}ms, interval ${check.intervalMs}ms)`);
      }
      // Drift-free: the next round is due one interval after this one was planned, never in the past.
      const next = Math.max(planned + check.intervalMs - this.clock.now(), 0);
      this.schedule(check, next);
    }, delayMs);
    timer.unref?.();
    this.timers.add(timer);
  }

  private async probe(check: CompiledCheck): Promise<void> {
    const result = await runRound(check, {
      region: LOCAL_REGION,
      now: () => this.clock.now(),
      lastPing: (id) => this.pings.get(id),
      lastFailure: (id) => this.pingFailures.get(id),
      watchingSince: (id) => this.watched.get(id) ?? this.clock.now(),
    });
    if (this.stopped) return;
    this.lastRound = result.at;
    await this.accept(result);
  }

  /** A result from a probe or a push: keep it, and apply it in order per check. */
  private accept(result: ProbeResult): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.latest.set(`${result.check}\0${result.region}`, result);
    this.buffer.push(result);
    const previous = this.chains.get(result.check) ?? Promise.resolve();
    const next = previous.then(async () => {
      try {
        const t = await this.evaluator.apply(result);
        if (!t) return;
        this.states.set(result.check, t.state);
        if (t.opened) this.o.log.warn(`incident opened: ${t.opened.check}: ${t.opened.reason}`, { incident: t.opened.id });
        if (t.resolved) this.o.log.info(`incident resolved: ${t.resolved.check} after ${t.resolved.durationSeconds}s`, { incident: t.resolved.id });
        if (t.effects.length > 0) this.drain();
      } catch (err) {
        this.o.log.error(`could not evaluate a result of ${result.check}`, { error: (err as Error).message });
      }
    });
    this.chains.set(result.check, next);
    void next.then(() => {
      if (this.chains.get(result.check) === next) this.chains.delete(result.check);
    });
    return next;
  }

  /**
   * `settings.summary`: a digest once every check has a first result (or after a minute), then
   * every `summary.every`. Sent through the outbox like any notification.
   */
  private scheduleSummaries(): void {
    const summary = this.o.config.settings.summary;
    if (!summary) return;
    const started = this.clock.now();
    const scheduled = this.o.config.checks.filter((c) => checkKinds[c.kind].mode === 'probe').map((c) => c.id);
    let sentFirst = false;
    let lastAt = started;
    const send = async (periodMs: number) => {
      const now = this.clock.now();
      const withResults = new Set([...this.latest.values()].map((r) => r.check));
      const body = buildSummary({
        checks: this.o.config.checks.map((c) => c.id),
        states: this.states,
        withResults,
        incidents: await this.store.listIncidents(1_000),
        now,
        periodMs,
      });
      await this.store.enqueue(summary.channels.map((channel) => ({
        kind: 'notify' as const, key: `summary:${now}:${channel}`, channel, payload: { event: 'summary' as const, summary: body },
      })), now);
      lastAt = now;
      this.drain();
    };
    this.every(1_000, async () => {
      const now = this.clock.now();
      if (!sentFirst) {
        const withResults = new Set([...this.latest.values()].map((r) => r.check));
        const ready = scheduled.every((id) => withResults.has(id));
        if (ready || now - started >= 60_000) {
          sentFirst = true;
          await send(0);
        }
      } else if (now - lastAt >= summary.everyMs) {
        await send(summary.everyMs);
      }
    });
  }

  /** Run due effects in the background; a failing store is logged, never fatal. */
  private drain(): void {
    this.executor.drain().catch((err) => this.o.log.error('could not run effects (will retry)', { error: (err as Error).message }));
  }

  /** Write buffered results; on a store error they stay buffered (bounded) for the next flush. */
  private flush(): void {
    if (this.buffer.length === 0 || !this.store.db.open) return;
    const batch = this.buffer;
    this.buffer = [];
    this.store.appendResults(batch).catch((err: Error) => {
      const keep = batch.slice(Math.max(0, batch.length - Math.max(0, MAX_BUFFERED_RESULTS - this.buffer.length)));
      this.buffer = [...keep, ...this.buffer];
      this.o.log.error(`could not store ${batch.length} results; keeping ${keep.length} for the next try`, { error: err.message });
    });
  }

  private async prune(): Promise<void> {
    const removed = await this.store.pruneResults(this.clock.now() - this.o.config.settings.retentionMs);
    if (removed > 0) this.o.log.info(`pruned ${removed} results older than the retention`);
  }

  private every(ms: number, fn: () => unknown): void {
    const timer = setInterval(() => {
      if (this.stopped) return;
      Promise.resolve()
        .then(fn)
        .catch((err) => this.o.log.error('periodic task failed', { error: (err as Error).message }));
    }, ms);
    timer.unref?.();
    this.timers.add(timer as unknown as NodeJS.Timeout);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref?.());
}
