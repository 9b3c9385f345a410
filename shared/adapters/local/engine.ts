/**
 * `pagerless run`: the engine's verbs driven by timers on one machine. A ticker on the monotonic
 * clock asks the engine what is due; due rounds go through a bounded in-process queue to the
 * prober pool; results are evaluated by the engine and written to SQLite in batches; one HTTP
 * server serves the routes. Wiring only: every decision is the engine's.
 */
import { performance } from 'node:perf_hooks';
import type { Dispatcher } from 'undici';
import type { CompiledConfig } from '../../config/compile.ts';
import { LOCAL_REGION } from '../../config/compile.ts';
import { Engine } from '../../engine/engine.ts';
import { LiveChecks } from '../../engine/live.ts';
import { runRound } from '../../engine/probe.ts';
import type { RoundSchedule } from '../../engine/schedule.ts';
import { createRouter, type ApiRequest, type Router } from '../../http/routes.ts';
import { systemClock, type Clock, type Logger } from '../../ports.ts';
import { lazyAwsClients } from '../aws/clients.ts';
import { Periodic, sleep } from '../../kit/timers.ts';
import { openDataDir } from './data-dir.ts';
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

export class LocalEngine {
  port = 0;
  private readonly clock: Clock = systemClock;
  private readonly store: SqliteStore;
  private readonly lock: { release(): void };
  private live!: LiveChecks;
  private engine!: Engine;
  private schedule!: RoundSchedule;
  private pool!: ProberPool;
  private route!: Router;
  private checksById = new Map<string, CompiledConfig['checks'][number]>();
  private readonly timers = new Periodic((err) => this.engine.health.fail('a periodic task', err));
  private closeServer: (() => Promise<void>) | undefined;
  private stopped = false;

  private constructor(private readonly o: LocalEngineOptions) {
    ({ store: this.store, lock: this.lock } = openDataDir(o.dataDir));
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
    this.live = await LiveChecks.load(this.store, this.clock, () => performance.now(), this.o.log);
    this.install(this.o.config);
    await this.engine.executor.recover();
    this.live.forget(await this.engine.resolveRemoved());
    // Through `this.route`, so a reload's new routes serve the next request.
    const route = Object.assign((req: ApiRequest) => this.route(req), { admit: (head: Parameters<Router['admit']>[0]) => this.route.admit(head) });
    const server = await startServer(route, { port: this.o.port, host: this.o.host, log: this.o.log });
    this.port = server.port;
    this.closeServer = server.close;
    this.timers.every(TICK_MS, () => this.tick());
    this.timers.every(ENGINE_TICK_MS, () => this.live.tick(this.engine, this.schedule.ids()));
    void this.engine.drain();
    const open = [...this.live.states.values()].filter((s) => s.incident).length;
    this.o.log.info(`watching ${this.config.checks.length} checks in ${this.config.services.length} services; ${open} open incident(s); http://${this.o.host ?? '127.0.0.1'}:${this.port}/`);
  }

  /**
   * `SIGHUP`: run `config` from now on, keeping every state, incident, pending notification and the
   * rounds of unchanged checks. The caller validated it; a bad file never gets here.
   */
  async reload(config: CompiledConfig): Promise<void> {
    this.install(config);
    this.live.forget(await this.engine.resolveRemoved());
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
    void this.live.watch(config).catch((err) => this.engine.health.fail('the store', err));
    const { live, store } = this;
    this.route = createRouter({
      config,
      clock: this.clock,
      states: async () => live.states,
      latestResults: async () => live.latestResults(),
      listIncidents: (limit) => store.listIncidents(limit),
      getIncident: (id) => store.getIncident(id),
      timeline: (id) => store.timeline(id),
      lastRoundAt: async () => live.lastRoundAt,
      problem: async () => this.engine.problem(),
      push: async (result) => {
        if (!this.stopped) await live.accept(this.engine, result, 'push');
      },
      recordPing: (check, at) => live.recordPing(check, at),
      recordPingFailure: (check, at, message) => live.recordPingFailure(check, at, message),
    });
  }

  /** Stop probing, flush, close. Probes still running are abandoned (their results are dropped). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.timers.stop();
    this.pool?.close();
    await this.live?.settled(1_500);
    if (this.engine) await Promise.race([this.engine.drain(), sleep(1_500)]);
    await this.closeServer?.();
    if (this.engine) this.live.flush(this.engine);
    this.store?.close();
    this.lock.release();
  }

  /** Every 250 ms: follow the wall clock, and start the rounds that are due. */
  private tick(): void {
    this.live.followWallClock(this.engine);
    for (const id of this.schedule.due(performance.now())) {
      const check = this.checksById.get(id);
      if (!check) continue;
      this.pool.offer(id, () => this.probe(check), () => {
        this.o.log.warn(`skipping rounds of ${id}: the previous round is still queued or running (timeout ${check.timeoutMs}ms, interval ${check.intervalMs}ms)`);
      });
    }
  }

  private async probe(check: CompiledConfig['checks'][number]): Promise<void> {
    const result = await runRound(check, this.live.roundContext(LOCAL_REGION));
    if (!this.stopped) await this.live.accept(this.engine, result, 'round');
  }
}
