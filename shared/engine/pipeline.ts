/**
 * The serverless pipeline's verbs, one per function: schedule a minute, probe a batch, evaluate
 * results. Each takes its ports as arguments; functions/ only builds them and maps events.
 */
import type { CompiledCheck, CompiledConfig } from '../config/compile.ts';
import { hasDeadline, isProbed, isScheduled, roundIntervalMs } from '../checks/index.ts';
import type { Clock, HeartbeatStore, ProbeQueue, ResultStore } from '../ports.ts';
import type { ProbeResult } from '../types.ts';
import type { EffectExecutor } from './effects.ts';
import type { Evaluator } from './evaluator.ts';
import { runRound } from './probe.ts';
import { PROBER_SIZING } from './prober-sizing.ts';
import { packMessages, planMinute } from './schedule.ts';

export interface ScheduleOptions {
  /** Rounds are grouped into slots of this many seconds. @default 10 */
  slotSeconds?: number;
  /** Checks per SQS message (one prober invocation runs a message's checks concurrently). @default PROBER_SIZING.checksPerMessage */
  checksPerMessage?: number;
}

/** The checks that run on a schedule: probed ones and heartbeats (judged against their deadline). */
export function scheduledChecks(config: CompiledConfig): CompiledCheck[] {
  return config.checks.filter(isScheduled);
}

/** The checks the scheduler sends to probers (heartbeats are evaluated by the scheduler itself). */
export function probedChecks(config: CompiledConfig): CompiledCheck[] {
  return config.checks.filter(isProbed);
}

/**
 * Plan one minute and send each prober region its messages; evaluate heartbeats due this minute
 * and store their results (one item). Returns what was sent, for logs and metrics.
 */
export async function scheduleMinute(
  deps: { config: CompiledConfig; queue: ProbeQueue; store: HeartbeatStore & ResultStore; clock: Clock },
  minuteStart: number,
  options: ScheduleOptions = {},
): Promise<{ messages: number; rounds: number; heartbeats: number; failedRegions: string[] }> {
  const { config } = deps;
  const probed = probedChecks(config);
  const plan = planMinute(probed.map((c) => ({ id: c.id, intervalMs: c.intervalMs })), minuteStart, options.slotSeconds ?? 10);
  const messages = packMessages(plan, minuteStart, options.checksPerMessage ?? PROBER_SIZING.checksPerMessage);
  // One region's queue being down must not stop the others, nor the heartbeats.
  const sent = await Promise.allSettled(config.settings.regions.map((region) => deps.queue.send(region, messages)));
  const failedRegions = config.settings.regions.filter((_, i) => sent[i]!.status === 'rejected');
  const heartbeats = await evaluateHeartbeats(deps, minuteStart);
  return { messages: messages.length * (config.settings.regions.length - failedRegions.length), rounds: plan.reduce((n, p) => n + p.checks.length, 0), heartbeats, failedRegions };
}

async function evaluateHeartbeats(deps: { config: CompiledConfig; store: HeartbeatStore & ResultStore; clock: Clock }, minuteStart: number): Promise<number> {
  const due = deps.config.checks.filter((c) => hasDeadline(c) && planMinute([{ id: c.id, intervalMs: roundIntervalMs(c, 'aws') }], minuteStart).length > 0);
  if (due.length === 0) return 0;
  const [pings, failures, watched] = await Promise.all([
    deps.store.lastPings(),
    deps.store.lastPingFailures(),
    deps.store.watchStart(due.map((c) => c.id), deps.clock.now()),
  ]);
  const results = await Promise.all(due.map((c) => runRound(c, {
    region: 'push',
    now: () => deps.clock.now(),
    lastPing: (id) => pings.get(id),
    lastFailure: (id) => failures.get(id),
    watchingSince: (id) => watched.get(id) ?? deps.clock.now(),
  })));
  await deps.store.appendResults(results);
  return results.length;
}

/**
 * Run a batch of checks from one region concurrently, each bounded by its own timeout and all by
 * `deadline` (epoch ms): a check still running then is reported as failed rather than lost.
 * `round` (the round's planned time, on AWS) becomes each result's `seq`.
 */
export async function probeBatch(
  deps: { config: CompiledConfig; region: string; clock: Clock },
  checkIds: string[],
  options: { deadline: number; concurrency?: number; round?: number },
): Promise<{ results: ProbeResult[]; unknown: string[]; skipped: string[] }> {
  const byId = new Map(deps.config.checks.map((c) => [c.id, c]));
  const known = checkIds.map((id) => byId.get(id)).filter((c): c is CompiledCheck => c !== undefined);
  const unknown = checkIds.filter((id) => !byId.has(id));
  const results: ProbeResult[] = [];
  const skipped: string[] = [];
  let next = 0;
  const ctx = { region: deps.region, now: () => deps.clock.now(), lastPing: () => undefined, watchingSince: () => deps.clock.now() };
  const worker = async () => {
    while (next < known.length) {
      const check = known[next++]!;
      const left = options.deadline - deps.clock.now();
      // Every attempt must end before the deadline: fewer re-tries, then a shorter timeout.
      const attempts = Math.min(check.retries + 1, Math.floor(left / check.timeoutMs));
      if (left <= 0) {
        skipped.push(check.id); // not a failure of the target: its next round will tell
        continue;
      }
      // The check itself when it fits (the common case: no copy per round).
      const fitted = attempts === check.retries + 1 ? check : attempts >= 1 ? { ...check, retries: attempts - 1 } : { ...check, timeoutMs: left, retries: 0 };
      const r = await runRound(fitted, ctx);
      // The planned round orders results: a Lambda's wall clock may differ from the last one's.
      results.push(options.round !== undefined ? { ...r, seq: options.round } : r);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 100, known.length) }, worker));
  return { results, unknown, skipped };
}

/** Apply results in order (per check) and run the effects they produced. */
export async function evaluateBatch(
  deps: { evaluator: Evaluator; executor: EffectExecutor },
  results: ProbeResult[],
): Promise<{ evaluated: number; opened: string[]; resolved: string[]; effects: number }> {
  const byCheck = new Map<string, ProbeResult[]>();
  for (const r of results) byCheck.set(r.check, [...(byCheck.get(r.check) ?? []), r]);
  const opened: string[] = [];
  const resolved: string[] = [];
  let effects = 0;
  await Promise.all([...byCheck.values()].map(async (list) => {
    for (const r of list.sort((a, b) => a.at - b.at)) {
      const t = await deps.evaluator.apply(r);
      if (!t) continue;
      if (t.opened) opened.push(t.opened.id);
      if (t.resolved) resolved.push(t.resolved.id);
      effects += t.effects.length;
    }
  }));
  if (effects > 0) await deps.executor.drain();
  return { evaluated: results.length, opened, resolved, effects };
}
