/**
 * The one engine. Its verbs are all a runtime needs, and every decision that depends on time is made
 * here, once: `tick` (what is due: probe rounds, heartbeat deadlines, digests, retries of results the
 * store refused, effect retries), `probe` (a batch from one region), `evaluate` (results -> state,
 * incidents, effects in one commit each) and `drain` (deliver due effects). The local runtime calls
 * them from timers and an in-process queue; the AWS functions from EventBridge, SQS and the stream.
 */
import type { Dispatcher } from 'undici';
import type { CompiledConfig } from '../config/compile.ts';
import type { AwsClients, Clock, EngineStore, Logger, ProbeQueue, StateStore } from '../ports.ts';
import type { CheckState, Effect, ProbeResult } from '../types.ts';
import { EffectExecutor } from './effects.ts';
import { Evaluator } from './evaluator.ts';
import { EngineHealth } from './health.ts';
import { probeBatch, scheduledChecks, scheduleMinute } from './pipeline.ts';
import { policiesFor } from './policy.ts';
import { resolveIncident } from './reducer.ts';
import { RoundSchedule } from './schedule.ts';
import { buildSummary } from './summary.ts';
import { createRedactor } from '../kit/redact.ts';
import { describeError, isRetryable } from '../kit/errors.ts';
import { Limiter } from '../kit/limit.ts';

export interface EngineParts {
  config: CompiledConfig;
  store: EngineStore;
  /** States as the evaluator reads them (on AWS a cache in front of the store). @default store */
  states?: StateStore;
  clock: Clock;
  log: Logger;
  /** Where the console channel writes. */
  print(line: string): void;
  aws: AwsClients;
  dispatcher?: Dispatcher;
}

export interface EvaluateOutcome {
  evaluated: number;
  opened: string[];
  resolved: string[];
  effects: number;
  /** New states, by check (for a runtime that caches them). */
  states: Map<string, CheckState>;
  /** Results the store refused, kept in order and applied again at the next tick. */
  deferred: number;
}

/** Results kept while the store refuses writes, before the oldest are dropped (and that is logged). */
const MAX_DEFERRED = 100_000;
const EVALUATE_CONCURRENCY = 32;
export const REMOVED_REASON = 'check removed from the config';

export class Engine {
  readonly config: CompiledConfig;
  readonly health: EngineHealth;
  readonly executor: EffectExecutor;
  /** Replaces every secret of the config by `***` (a probe's reason may quote a URL that holds one). */
  readonly redact: (text: string) => string;
  private readonly evaluator: Evaluator;
  private deferred = new Map<string, ProbeResult[]>();
  private deferredCount = 0;
  private readonly chains = new Map<string, Promise<unknown>>();
  /** Checks evaluated at once (each is a read and, on a change, one transaction). */
  private readonly commits = new Limiter(EVALUATE_CONCURRENCY);

  constructor(private readonly parts: EngineParts) {
    this.config = parts.config;
    this.health = new EngineHealth(parts.log, () => parts.clock.now());
    this.redact = createRedactor(parts.config.secrets);
    this.evaluator = new Evaluator(parts.states ?? parts.store, policiesFor(parts.config));
    this.executor = new EffectExecutor({
      outbox: parts.store,
      incidents: parts.store,
      memos: parts.store,
      config: parts.config,
      aws: parts.aws,
      clock: parts.clock,
      log: parts.log,
      print: parts.print,
      dispatcher: parts.dispatcher,
    });
  }

  /** A schedule of the checks this engine probes or evaluates itself, on a monotonic clock. */
  roundSchedule(start: number, previous?: RoundSchedule): RoundSchedule {
    return new RoundSchedule(scheduledChecks(this.config).map((c) => ({ id: c.id, intervalMs: c.intervalMs })), start, previous);
  }

  /**
   * Everything due at `now` that is not a local probe round: on AWS (`queue` given) this minute's
   * rounds go to the probers and heartbeats are judged; results the store refused are applied again;
   * digests whose period ended since `since` are enqueued; due effects (retries included) are run.
   */
  async tick(now: number, since: number, queue?: ProbeQueue): Promise<{ rounds: number; failedRegions: string[]; digests: number }> {
    let rounds = 0;
    let failedRegions: string[] = [];
    if (queue) {
      const sent = await scheduleMinute({ config: this.config, queue, store: this.parts.store, clock: this.parts.clock }, now);
      rounds = sent.rounds;
      failedRegions = sent.failedRegions;
    }
    await this.retryDeferred();
    const digests = await this.periodicDigest(now, since).catch((err) => {
      this.health.fail('the summary digest', err);
      return 0;
    });
    // Started, not awaited: a hanging receiver must not hold up the next tick (a runtime that must
    // finish its work before it returns, a Lambda, awaits `drain()` itself).
    void this.drain();
    return { rounds, failedRegions, digests };
  }

  /** Run a batch of checks from one region (see probeBatch). */
  probe(region: string, checkIds: string[], options: { deadline: number; concurrency?: number }) {
    return probeBatch({ config: this.config, region, clock: this.parts.clock }, checkIds, options);
  }

  /**
   * Apply results, in order per check (by `seq`, else `at`). A result the store cannot take is kept
   * with every later one of its check and applied again at the next tick: none is lost or reordered.
   * Where the source delivers again (a stream), `onStoreError: 'throw'` leaves the retry to it.
   */
  async evaluate(results: ProbeResult[], options: { onStoreError: 'defer' | 'throw' } = { onStoreError: 'defer' }): Promise<EvaluateOutcome> {
    const out: EvaluateOutcome = { evaluated: 0, opened: [], resolved: [], effects: 0, states: new Map(), deferred: 0 };
    const byCheck = new Map<string, ProbeResult[]>();
    for (const input of results) {
      // What a result says reaches incidents, alerts and the API: never with a secret in it.
      const r = input.ok ? input : { ...input, reason: this.redact(input.reason) };
      const list = byCheck.get(r.check);
      if (list) list.push(r);
      else byCheck.set(r.check, [r]);
    }
    // Checks in parallel, but a bounded number at once: a batch of 1,000 checks that all change
    // (an outage storm, the first results after a deploy) is not 1,000 transactions at the same instant.
    const applied = await Promise.allSettled([...byCheck.values()].map((list) => this.serially(list[0]!.check, () => this.commits.run(() => this.applyInOrder(list.sort((a, b) => (a.seq ?? a.at) - (b.seq ?? b.at)), out, options.onStoreError)))));
    // Every check's results were applied (or failed) before this throws: none runs on in the background.
    const failed = applied.find((a): a is PromiseRejectedResult => a.status === 'rejected');
    if (failed) throw failed.reason;
    if (this.deferredCount === 0) this.health.ok('the state store');
    return out;
  }

  /**
   * Take over from the engine a reload replaces: results it deferred and what it knows is failing;
   * it claims no more effects (the ones running finish).
   */
  adopt(previous: Engine): void {
    previous.executor.retire();
    for (const [check, list] of previous.deferred) this.defer(check, list);
    previous.deferred.clear();
    previous.deferredCount = 0;
    this.health.adopt(previous.health);
  }

  /** One check's evaluations one after another, in the order they were asked for. */
  private serially<T>(check: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.chains.get(check) ?? Promise.resolve();
    const next = previous.then(fn, fn);
    const tail = next.catch(() => undefined);
    this.chains.set(check, tail);
    void tail.then(() => {
      if (this.chains.get(check) === tail) this.chains.delete(check);
    });
    return next;
  }

  /**
   * Deliver due effects (claiming none after `claimUntil`, epoch ms, where the caller must return
   * by a time). A store that fails here is reported, never thrown at the caller.
   */
  async drain(options: { claimUntil?: number } = {}): Promise<number> {
    try {
      const n = await this.executor.drain(options);
      this.health.ok('the outbox');
      return n;
    } catch (err) {
      this.health.fail('the outbox', err, 'notifications wait in it and are sent once it recovers');
      return 0;
    }
  }

  /** Why this engine cannot do its job right now, or undefined. */
  problem(): string | undefined {
    return this.health.problem();
  }

  /**
   * Incidents still open for checks the config no longer has (at start and on reload): resolved,
   * and announced once to the channels that were told of the opening.
   */
  async resolveRemoved(): Promise<string[]> {
    const known = new Set(this.config.checks.map((c) => c.id));
    const now = this.parts.clock.now();
    const done: string[] = [];
    for (const state of await this.parts.store.listStates()) {
      if (known.has(state.check) || !state.incident) continue;
      const resolved = { ...resolveIncident(state.incident, now), resolution: REMOVED_REASON };
      // The channels told of the opening; for incidents opened before that was recorded, the service's.
      const told: string[] = state.alerted ?? [...new Set(this.config.checks.filter((c) => c.service === resolved.service).flatMap((c) => c.alert))];
      const effects: Effect[] = told
        .filter((id) => id in this.config.channels && (this.config.channels[id]!.events?.includes('incident.resolved') ?? true))
        .map((channel) => ({ kind: 'notify', key: `${resolved.id}:incident.resolved:${channel}`, channel, payload: { event: 'incident.resolved', incident: resolved } }));
      const next: CheckState = { ...state, incident: null };
      delete next.alerted;
      const ok = await this.parts.store.commit({ check: state.check, expectedVersion: state.version, state: next, resolved, effects, at: now });
      if (!ok) continue;
      await this.parts.store.addTimeline({ check: state.check, incidentId: resolved.id, at: now, kind: 'resolved', detail: REMOVED_REASON });
      this.parts.log.info(`incident resolved: ${state.check}: ${REMOVED_REASON}`, { incident: resolved.id });
      done.push(state.check);
    }
    if (done.length > 0) void this.drain();
    return done;
  }

  /** Enqueue a digest of states and incidents to `settings.summary.channels` (idempotent by `key`). */
  async digest(now: number, periodMs: number, key: string): Promise<number> {
    const summary = this.config.settings.summary;
    if (!summary) return 0;
    const { store } = this.parts;
    const [states, latest, incidents] = await Promise.all([store.listStates(), store.latestResults(), store.listIncidents(1_000)]);
    const body = buildSummary({
      checks: this.config.checks.map((c) => c.id),
      states: new Map(states.map((s) => [s.check, s])),
      withResults: new Set(latest.map((r) => r.check)),
      incidents,
      now,
      periodMs,
    });
    await store.enqueue(summary.channels.map((channel) => ({ kind: 'notify' as const, key: `summary:${key}:${channel}`, channel, payload: { event: 'summary' as const, summary: body } })), now);
    return 1;
  }

  /** `settings.summary.every`: one digest per period, at the periods' ends (multiples of `every` since the epoch). */
  private async periodicDigest(now: number, since: number): Promise<number> {
    const summary = this.config.settings.summary;
    if (!summary) return 0;
    const boundary = Math.floor(now / summary.everyMs) * summary.everyMs;
    if (boundary <= since || boundary > now) return 0;
    return this.digest(now, summary.everyMs, String(boundary));
  }

  private async applyInOrder(list: ProbeResult[], out: EvaluateOutcome, onStoreError: 'defer' | 'throw'): Promise<void> {
    const check = list[0]!.check;
    if (this.deferred.has(check)) {
      this.defer(check, list); // behind the older ones, in order
      out.deferred += list.length;
      return;
    }
    for (let i = 0; i < list.length; i++) {
      const r = list[i]!;
      try {
        const t = await this.evaluator.apply(r);
        out.evaluated++;
        if (!t) continue;
        out.states.set(r.check, t.state);
        if (t.opened) {
          out.opened.push(t.opened.id);
          this.parts.log.warn(`incident opened: ${t.opened.check}: ${t.opened.reason}`, { incident: t.opened.id });
        }
        if (t.resolved) {
          out.resolved.push(t.resolved.id);
          this.parts.log.info(`incident resolved: ${t.resolved.check} after ${t.resolved.durationSeconds}s`, { incident: t.resolved.id });
        }
        out.effects += t.effects.length;
      } catch (err) {
        if (onStoreError === 'throw') throw err;
        if (!isRetryable(err)) {
          // Not the store: trying again cannot help, and waiting would blind the check for good.
          this.parts.log.error(`could not evaluate a result of ${check}; dropped`, { error: describeError(err) });
          continue;
        }
        const rest = list.slice(i);
        this.defer(check, rest);
        out.deferred += rest.length;
        this.health.fail('the state store', err, `${this.deferredCount} result(s) wait to be evaluated`);
        return;
      }
    }
  }

  private defer(check: string, results: ProbeResult[]): void {
    const into = this.deferred.get(check) ?? [];
    into.push(...results);
    this.deferred.set(check, into);
    this.deferredCount += results.length;
    if (this.deferredCount <= MAX_DEFERRED) return;
    // Bounded: the oldest go first, from the longest lists (each check keeps its newest results).
    let over = this.deferredCount - MAX_DEFERRED;
    const dropped = over;
    for (const list of [...this.deferred.values()].sort((a, b) => b.length - a.length)) {
      const n = Math.min(over, list.length - 1);
      list.splice(0, n);
      over -= n;
      if (over <= 0) break;
    }
    this.deferredCount = [...this.deferred.values()].reduce((n, l) => n + l.length, 0);
    this.parts.log.error(`dropped the oldest ${dropped - Math.max(0, over)} result(s) waiting for the store`);
  }

  private async retryDeferred(): Promise<void> {
    if (this.deferredCount === 0) return;
    const all = [...this.deferred.values()].flat();
    this.deferred = new Map();
    this.deferredCount = 0;
    // Through the per-check chains: a result that arrives meanwhile waits behind these older ones.
    const out = await this.evaluate(all);
    if (out.deferred === 0) this.parts.log.info(`applied ${all.length} result(s) the store had refused`);
  }
}
