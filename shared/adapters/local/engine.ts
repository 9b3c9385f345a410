/**
 * `pagerless run`: the engine's verbs driven by timers on one machine. A ticker on the monotonic
 * clock asks the engine what is due; due rounds go through a bounded in-process queue to the
 * prober pool; results are evaluated by the engine and written to SQLite in batches; one HTTP
 * server serves the routes. Wiring only: every decision is the engine's.
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Dispatcher } from 'undici';
import type { CompiledConfig } from '../../config/compile.ts';
import { LOCAL_REGION } from '../../config/compile.ts';
import { Engine } from '../../engine/engine.ts';
import { runRound } from '../../engine/probe.ts';
import { MonotonicSequence, type RoundSchedule } from '../../engine/schedule.ts';
import { createRouter, type ApiRequest, type Router } from '../../http/routes.ts';
import { systemClock, type Clock, type Logger } from '../../ports.ts';
import type { CheckState, ProbeResult } from '../../types.ts';
import { lazyAwsClients } from '../aws/clients.ts';
import { lockDataDir, openStore, prepareDataDir } from './data-dir.ts';
import { ProberPool } from './pool.ts';
import { startServer } from './server.ts';
import type { SqliteStore } from './sqlite-store.ts';

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
  dispatcher?: Dispatcher;
}

const TICK_MS = 250;
const ENGINE_TICK_MS = 1_000;
const PRUNE_EVERY_MS = 3_600_000;
/** A wall clock that moves this much more or less than the monotonic one has been stepped. */
const CLOCK_STEP_MS = 2_000;
const MAX_BUFFERED_RESULTS = 100_000;

export class LocalEngine {
  port = 0;
  private readonly clock: Clock = systemClock;
  private readonly store: SqliteStore;
  private readonly lock: { release(): void };
  private engine!: Engine;
  private schedule!: RoundSchedule;
  private pool!: ProberPool;
  private sequence!: MonotonicSequence;
  private route!: Router;
  private checksById = new Map<string, CompiledConfig['checks'][number]>();
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
  private lastEngineTick: number;
  private wallOffset = Date.now() - performance.now();
  private startedAt = performance.now();
  private firstDigestSent = false;
  private closeServer: (() => Promise<void>) | undefined;
  private stopped = false;

  private constructor(private readonly o: LocalEngineOptions) {
    prepareDataDir(o.dataDir);
    this.lock = lockDataDir(o.dataDir);
    try {
      this.store = openStore(o.dataDir);
    } catch (err) {
      this.lock.release();
      throw err;
    }
    this.lastEngineTick = this.clock.now();
  }

  get config(): CompiledConfig {
    return this.engine.config;
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
    const { log } = this.o;
    for (const s of await this.store.listStates()) this.states.set(s.check, s);
    for (const r of await this.store.latestResults()) this.latest.set(`${r.check}\0${r.region}`, r);
    this.lastRound = Math.max(0, ...[...this.latest.values()].map((r) => r.at)) || undefined;
    // Results are ordered by this sequence, started above everything stored: a wall clock set back
    // before this start cannot make new results look older than old ones.
    const floor = Math.max(0, ...[...this.states.values()].flatMap((s) => Object.values(s.regions).map((r) => r.seq ?? r.at)));
    this.sequence = new MonotonicSequence(floor, this.clock.now(), performance.now());
    this.pings = await this.store.lastPings();
    this.pingFailures = await this.store.lastPingFailures();
    this.install(this.o.config);
    await this.engine.executor.recover();
    await this.settleRemoved();
    // Through `this.route`, so a reload's new routes serve the next request.
    const route = Object.assign((req: ApiRequest) => this.route(req), { admit: (head: Parameters<Router['admit']>[0]) => this.route.admit(head) });
    const server = await startServer(route, { port: this.o.port, host: this.o.host, log });
    this.port = server.port;
    this.closeServer = server.close;
    this.every(TICK_MS, () => this.tick());
    this.every(ENGINE_TICK_MS, () => this.engineTick());
    this.every(PRUNE_EVERY_MS, () => this.prune());
    await this.prune();
    void this.engine.drain();
    const open = [...this.states.values()].filter((s) => s.incident).length;
    log.info(`watching ${this.config.checks.length} checks in ${this.config.services.length} services; ${open} open incident(s); http://${this.o.host ?? '127.0.0.1'}:${this.port}/`);
  }

  /**
   * `SIGHUP`: run `config` from now on, keeping every state, incident, pending notification and the
   * rounds of unchanged checks. The caller validated it; a bad file never gets here.
   */
  async reload(config: CompiledConfig): Promise<void> {
    this.install(config);
    await this.settleRemoved();
    this.o.log.info(`config reloaded: ${config.checks.length} checks in ${config.services.length} services`);
  }

  /** Build the engine, schedule, pool and routes for a config (at boot and on reload). */
  private install(config: CompiledConfig): void {
    const previous = this.engine;
    this.engine = new Engine({ config, store: this.store, clock: this.clock, log: this.o.log, print: this.o.print, aws: lazyAwsClients(), dispatcher: this.o.dispatcher });
    if (previous) this.engine.adopt(previous);
    this.checksById = new Map(config.checks.map((c) => [c.id, c]));
    this.schedule = this.engine.roundSchedule(performance.now(), previous ? this.schedule : undefined);
    // One pool while its size holds: rounds queued or running keep their place (no check runs twice at once).
    const capacity = Math.max(1_000, config.checks.length * 2);
    if (!this.pool || this.pool.concurrency !== config.settings.concurrency || this.pool.capacity < capacity) {
      this.pool?.close();
      this.pool = new ProberPool(config.settings.concurrency, capacity);
    }
    // Checks not yet known are first watched now (a heartbeat's first deadline counts from here).
    void this.store.watchStart(config.checks.map((c) => c.id), this.clock.now()).then((w) => {
      this.watched = w;
    }, (err) => this.engine.health.fail('the store', err));
    this.route = createRouter({
      config,
      clock: this.clock,
      states: async () => this.states,
      latestResults: async () => [...this.latest.values()],
      listIncidents: (limit) => this.store.listIncidents(limit),
      getIncident: (id) => this.store.getIncident(id),
      timeline: (id) => this.store.timeline(id),
      lastRoundAt: async () => this.lastRound,
      problem: async () => this.engine.problem(),
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
  }

  private async settleRemoved(): Promise<void> {
    const removed = await this.engine.resolveRemoved();
    for (const id of removed) this.states.delete(id);
  }

  /** Stop probing, flush, close. Probes still running are abandoned (their results are dropped). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.pool?.close();
    await Promise.race([Promise.allSettled([...this.chains.values()]), sleep(1_500)]);
    if (this.engine) await Promise.race([this.engine.drain(), sleep(1_500)]);
    await this.closeServer?.();
    this.flush();
    this.store?.close();
    this.lock.release();
  }

  /** Every 250 ms: notice a stepped wall clock, and start the rounds that are due. */
  private tick(): void {
    const mono = performance.now();
    const offset = Date.now() - mono;
    const step = offset - this.wallOffset;
    if (Math.abs(step) > CLOCK_STEP_MS) {
      this.wallOffset = offset;
      this.o.log.warn(`the wall clock stepped ${step > 0 ? 'forward' : 'back'} by ${Math.round(Math.abs(step) / 1000)}s; rounds and their order follow the monotonic clock, timestamps the new time`);
      // Heartbeat deadlines are wall times: move what this process saw onto the new time base.
      for (const [k, v] of this.pings) this.pings.set(k, v + step);
      for (const [k, v] of this.pingFailures) this.pingFailures.set(k, { ...v, at: v.at + step });
      for (const [k, v] of this.watched) this.watched.set(k, v + step);
      if (this.lastRound !== undefined) this.lastRound += step;
      this.lastEngineTick += step;
      void this.store.shiftPendingRetries(step).catch((err) => this.engine.health.fail('the outbox', err));
    } else {
      this.wallOffset = offset;
    }
    for (const id of this.schedule.due(mono)) {
      const check = this.checksById.get(id);
      if (!check) continue;
      if (this.pool.submit(id, () => this.probe(check))) {
        this.skipped.delete(id);
      } else if (!this.skipped.has(id)) {
        // Once per streak: a target slower than its interval would otherwise log every round.
        this.skipped.add(id);
        this.o.log.warn(`skipping rounds of ${id}: the previous round is still queued or running (timeout ${check.timeoutMs}ms, interval ${check.intervalMs}ms)`);
      }
    }
  }

  /** Every second: the engine's tick (digests, retries, effects) and the results' flush. */
  private async engineTick(): Promise<void> {
    const now = this.clock.now();
    this.flush();
    await this.firstDigest(now);
    // Periodic digests follow the start-up one, never precede it.
    await this.engine.tick(now, this.firstDigestSent ? this.lastEngineTick : now);
    this.lastEngineTick = now;
  }

  /** The start-up digest: once every scheduled check has a first result, or after a minute. */
  private async firstDigest(now: number): Promise<void> {
    if (this.firstDigestSent || !this.config.settings.summary) return;
    const withResults = new Set([...this.latest.values()].map((r) => r.check));
    const ready = this.schedule.ids().every((id) => withResults.has(id));
    if (!ready && performance.now() - this.startedAt < 60_000) return;
    this.firstDigestSent = true;
    await this.engine.digest(now, 0, `start:${now}`);
  }

  private async probe(check: CompiledConfig['checks'][number]): Promise<void> {
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

  /** A result from a probe or a push: number it, keep it, and evaluate it in order per check. */
  private accept(input: ProbeResult): Promise<void> {
    if (this.stopped) return Promise.resolve();
    const result = { ...input, reason: this.engine.redact(input.reason), seq: this.sequence.next(performance.now()) };
    this.latest.set(`${result.check}\0${result.region}`, result);
    this.buffer.push(result);
    const previous = this.chains.get(result.check) ?? Promise.resolve();
    const next = previous.then(async () => {
      const out = await this.engine.evaluate([result]);
      for (const [id, s] of out.states) this.states.set(id, s);
      if (out.effects > 0) void this.engine.drain();
    }).catch((err: unknown) => this.o.log.error(`could not evaluate a result of ${result.check}`, { error: (err as Error).message }));
    this.chains.set(result.check, next);
    void next.then(() => {
      if (this.chains.get(result.check) === next) this.chains.delete(result.check);
    });
    return next;
  }

  /** Write buffered results; on a store error they stay buffered (bounded) for the next flush. */
  private flush(): void {
    if (this.buffer.length === 0 || !this.store.db.open) return;
    const batch = this.buffer;
    this.buffer = [];
    this.store.appendResults(batch).then(() => this.engine.health.ok('the results store'), (err: Error) => {
      const keep = batch.slice(Math.max(0, batch.length - Math.max(0, MAX_BUFFERED_RESULTS - this.buffer.length)));
      this.buffer = [...keep, ...this.buffer];
      this.engine.health.fail('the results store', err, `${this.buffer.length} result(s) kept in memory for the next try`);
    });
  }

  private async prune(): Promise<void> {
    const removed = await this.store.pruneResults(this.clock.now() - this.config.settings.retentionMs);
    if (removed > 0) this.o.log.info(`pruned ${removed} results older than the retention`);
  }

  private every(ms: number, fn: () => unknown): void {
    let busy = false;
    const timer = setInterval(() => {
      if (this.stopped || busy) return;
      busy = true;
      Promise.resolve()
        .then(fn)
        .catch((err) => this.engine.health.fail('a periodic task', err))
        .finally(() => {
          busy = false;
        });
    }, ms);
    timer.unref?.();
    this.timers.add(timer as unknown as NodeJS.Timeout);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref?.());
}
