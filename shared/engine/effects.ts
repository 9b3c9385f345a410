/**
 * Executes effects from the outbox: notifications (retried with backoff on timeouts and 5xx, never
 * lost) and reactions (at most once: a reaction interrupted by a crash is recorded as failed, not
 * re-run, since rebooting twice is worse than not knowing).
 */
import type { Dispatcher } from 'undici';
import { channels } from '../channels/index.ts';
import type { SendContext } from '../channels/channel.ts';
import { describeError, isRetryable, PagerlessError } from '../kit/errors.ts';
import type { CompiledConfig } from '../config/compile.ts';
import type { AwsClients, Clock, IncidentStore, Logger, Outbox, OutboxItem, ReactionMemos } from '../ports.ts';
import { reactions } from '../reactions/index.ts';
import type { Reaction } from '../reactions/reaction.ts';
import type { Effect, ReactionOutcome } from '../types.ts';
import { withDefaults } from '../kit/options.ts';
import { laneOf } from './delivery-order.ts';

export type { Logger } from '../ports.ts';

export interface ExecutorOptions {
  outbox: Outbox;
  incidents: IncidentStore;
  memos: ReactionMemos;
  config: CompiledConfig;
  /** For channels and reactions that call AWS. */
  aws?: AwsClients;
  clock: Clock;
  log: Logger;
  print(line: string): void;
  dispatcher?: Dispatcher;
  /** Per-request timeout of outbound calls. @default 10_000 */
  sendTimeoutMs?: number;
  /** Attempts before a notification is given up. @default 12 (about 30 minutes of backoff) */
  maxAttempts?: number;
  /** First retry delay; doubles each attempt, capped at 5 minutes. @default 1_000 */
  baseDelayMs?: number;
  /** Effects running at once. @default 32 */
  concurrency?: number;
  /** Effects running at once per channel or reaction. @default 4 */
  perLane?: number;
}

type NotifyEffect = Extract<Effect, { kind: 'notify' }>;

/** Reaction memos are per reaction, not per check: what a reaction changed is one thing, however many checks share it. */
const SHARED_MEMO = '*';
type ReactEffect = Extract<Effect, { kind: 'react' }>;

/** The outbox could not record an effect's settlement (kept in memory and tried again). */
class SettleError extends PagerlessError {
  override name = 'SettleError';
  constructor(key: string, cause: unknown) {
    super(`could not record the outcome of ${key}: ${describeError(cause)}`, { code: 'OUTBOX_SETTLE', retryable: true, cause });
  }
}

export class EffectExecutor {
  private running: Promise<number> | undefined;
  private claimUntil: number | undefined;
  private again = false;
  private retired = false;
  private wake: (() => void) | undefined;
  private readonly unsettled = new Map<string, { op: () => Promise<void>; error: string }>();
  private readonly o: Required<Omit<ExecutorOptions, 'dispatcher' | 'aws'>> & { dispatcher?: Dispatcher; aws?: AwsClients };

  constructor(options: ExecutorOptions) {
    this.o = withDefaults({ sendTimeoutMs: 10_000, maxAttempts: 12, baseDelayMs: 1_000, concurrency: 32, perLane: 4 }, options);
  }

  private get sendContext(): SendContext {
    return { dispatcher: this.o.dispatcher, timeoutMs: this.o.sendTimeoutMs, print: this.o.print, aws: this.o.aws };
  }

  /** Settle what a previous process left claimed. Call once at start-up, before `drain`. */
  async recover(): Promise<void> {
    for (const item of await this.o.outbox.recoverInterrupted()) {
      if (item.effect.kind === 'notify') {
        await this.o.outbox.retryLater(item.key, 'interrupted by a restart', this.o.clock.now());
      } else {
        await this.finishReaction(item.effect, { outcome: 'failed', detail: 'interrupted by a restart before its outcome was known; not re-run' });
        await this.o.outbox.giveUp(item.key, 'interrupted by a restart', this.o.clock.now());
      }
    }
  }

  /**
   * Run every due effect, concurrently up to `concurrency`, at most `perLane` per channel or
   * reaction: a hanging receiver holds its own lane only, and a reaction never waits on an alert.
   * Concurrent calls coalesce. Resolves, once nothing is due or running, with how many were settled.
   */
  drain(options: { claimUntil?: number } = {}): Promise<number> {
    // A caller that must return by a time (a Lambda) stops claiming then; what runs finishes.
    this.claimUntil = options.claimUntil;
    this.again = true;
    this.wake?.(); // a pump waiting on slow sends claims what is new at once
    this.running ??= this.pump().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Claim no more (the engine was replaced by a reload); what runs finishes. */
  retire(): void {
    this.retired = true;
  }

  private async pump(): Promise<number> {
    const inflight = new Set<Promise<void>>();
    const lanes = new Map<string, number>();
    let notifying = 0;
    let settled = 0;
    let claimError: unknown;
    for (;;) {
      const claimable = this.claimUntil === undefined || this.o.clock.now() < this.claimUntil;
      if (this.again && inflight.size < this.o.concurrency && !this.retired && claimable) {
        this.again = false;
        await this.resettle();
        const planned = new Map(lanes);
        let plannedNotify = notifying;
        const accept = (effect: Effect) => {
          const lane = laneOf(effect);
          const n = planned.get(lane) ?? 0;
          if (n >= this.o.perLane) return false;
          // Alerts never take the last slots: a reaction always finds room, whatever hangs.
          if (effect.kind === 'notify' && plannedNotify >= this.o.concurrency - this.o.perLane) return false;
          planned.set(lane, n + 1);
          if (effect.kind === 'notify') plannedNotify++;
          return true;
        };
        let batch: OutboxItem[] = [];
        try {
          batch = await this.o.outbox.claimDue(this.o.clock.now(), this.o.concurrency - inflight.size, accept);
          claimError = undefined;
        } catch (err) {
          claimError = err; // reported to the caller once the running ones are settled
        }
        for (const item of batch) {
          const lane = laneOf(item.effect);
          const isNotify = item.effect.kind === 'notify';
          lanes.set(lane, (lanes.get(lane) ?? 0) + 1);
          if (isNotify) notifying++;
          const run: Promise<void> = this.execute(item).finally(() => {
            lanes.set(lane, lanes.get(lane)! - 1);
            if (isNotify) notifying--;
            inflight.delete(run);
            settled++;
            this.again = true; // a slot is free, and the next of its order group may be due
          });
          inflight.add(run);
        }
        if (batch.length > 0) this.again = true;
        if (claimError === undefined) continue;
      }
      if (inflight.size === 0) break;
      const woken = new Promise<void>((resolve) => {
        this.wake = resolve;
      });
      await Promise.race([...inflight, woken]);
      this.wake = undefined;
    }
    if (claimError !== undefined) throw claimError;
    if (this.unsettled.size > 0) {
      const [first] = this.unsettled.values();
      throw new PagerlessError(`${this.unsettled.size} effect(s) ran but could not be recorded (tried again at the next drain): ${first!.error}`, { code: 'OUTBOX_SETTLE', retryable: true });
    }
    return settled;
  }

  private async execute(item: OutboxItem): Promise<void> {
    try {
      if (item.effect.kind === 'notify') await this.notify(item, item.effect);
      else await this.react(item, item.effect);
    } catch (err) {
      // It ran (or was decided) but the store could not record it: settled again at the next drain.
      if (err instanceof SettleError) return;
      // A bug or a store error must not stop the loop or lose a notification; a reaction may already
      // have run, so it is never tried again (at most once). A notification that keeps failing this
      // way is given up after the same number of attempts as a failing receiver.
      const error = describeError(err);
      this.o.log.error('effect failed unexpectedly', { key: item.key, error });
      const effect = item.effect;
      const settled = effect.kind === 'notify'
        ? this.retryOrGiveUp(item, effect, error, true)
        : this.settle(item.key, () => this.o.outbox.giveUp(item.key, error, this.o.clock.now()));
      // A refused settlement is kept in `unsettled`; a lost timeline line is only that.
      await settled.catch(() => undefined);
    }
  }

  /** A notification that failed: retried with backoff while that may help, else given up and recorded. */
  private async retryOrGiveUp(item: OutboxItem, e: NotifyEffect, error: string, retryable: boolean): Promise<void> {
    const now = this.o.clock.now();
    if (retryable && item.attempts < this.o.maxAttempts) {
      const delay = this.backoff(item.attempts);
      this.o.log.warn(`${e.payload.event} to ${e.channel} failed, retrying in ${Math.round(delay / 1000)}s`, { key: item.key, attempt: item.attempts, error });
      await this.settle(item.key, () => this.o.outbox.retryLater(item.key, error, now + delay));
      return;
    }
    this.o.log.error(`${e.payload.event} to ${e.channel} given up after ${item.attempts} attempt(s)`, { key: item.key, error });
    await this.settle(item.key, () => this.o.outbox.giveUp(item.key, error, now));
    if ('incident' in e.payload) {
      const inc = e.payload.incident;
      await this.o.incidents.addTimeline({ check: inc.check, incidentId: inc.id, at: now, kind: 'notify-failed', detail: `${e.payload.event} to ${e.channel}: ${error}` });
    }
  }

  /** Record an effect's settlement; if the store refuses, keep it and try again at the next drain. */
  private async settle(key: string, op: () => Promise<void>): Promise<void> {
    try {
      await op();
      this.unsettled.delete(key);
    } catch (err) {
      this.unsettled.set(key, { op, error: describeError(err) });
      throw new SettleError(key, err);
    }
  }

  /** Settlements the store refused before: tried again first, so their order groups move on. */
  private async resettle(): Promise<void> {
    for (const [key, { op }] of [...this.unsettled]) {
      try {
        await op();
        this.unsettled.delete(key);
      } catch {
        return; // still failing: the rest waits too
      }
    }
  }

  private async notify(item: OutboxItem, e: NotifyEffect): Promise<void> {
    const now = () => this.o.clock.now();
    const channel = this.o.config.channels[e.channel];
    if (!channel) {
      await this.settle(item.key, () => this.o.outbox.giveUp(item.key, `channel ${e.channel} is no longer configured`, now()));
      this.o.log.warn('notification dropped: channel no longer configured', { key: item.key, channel: e.channel });
      return;
    }
    const plugin = channels[channel.type as keyof typeof channels];
    const message = plugin.format(e.payload, channel.spec as never);
    message.headers = { ...message.headers, ...(channel.type === 'console' ? {} : { 'x-pagerless-delivery': item.key }) };
    try {
      await plugin.send(message, channel.spec as never, this.sendContext);
    } catch (err) {
      await this.retryOrGiveUp(item, e, describeError(err), isRetryable(err));
      return;
    }
    await this.settle(item.key, () => this.o.outbox.complete(item.key, now()));
    if (e.payload.event === 'incident.opened' || e.payload.event === 'incident.resolved' || e.payload.event === 'incident.reminder') {
      const inc = e.payload.incident;
      await this.o.incidents.addTimeline({ check: inc.check, incidentId: inc.id, at: now(), kind: 'notified', detail: `${e.payload.event} sent to ${e.channel}` });
    }
  }

  private async react(item: OutboxItem, e: ReactEffect): Promise<void> {
    const now = this.o.clock.now();
    const reaction = this.o.config.reactions[e.reaction];
    let outcome: Pick<ReactionOutcome, 'outcome' | 'detail'>;
    if (e.decision === 'skip') {
      outcome = { outcome: 'skipped', detail: e.why };
    } else if (!reaction) {
      outcome = { outcome: 'skipped', detail: 'reaction no longer configured' };
    } else {
      const plugin = reactions[reaction.type as keyof typeof reactions] as Reaction;
      const input = { reaction: e.reaction, check: e.check, incident: e.incident, trigger: e.why };
      try {
        if (e.decision === 'revert') {
          // A reaction several checks share (one DNS record) is undone by the last of them to recover.
          const stillDown = await this.othersStillDown(e.reaction, e.check);
          const memo = await this.o.memos.loadMemo(SHARED_MEMO, e.reaction);
          // No memo: the run failed or changed nothing, so there is nothing to undo.
          outcome = !plugin.revert
            ? { outcome: 'skipped', detail: `${reaction.type} reactions cannot be reverted` }
            : stillDown.length > 0
              ? { outcome: 'skipped', detail: `kept: ${stillDown.join(', ')} still down` }
              : memo === undefined || memo === null
                ? { outcome: 'skipped', detail: 'nothing to revert: the reaction changed nothing in this outage' }
                : await plugin.revert(reaction.spec, input, memo, this.sendContext);
          // The memo belongs to this outage: the next one records its own.
          if (outcome.outcome === 'executed') await this.o.memos.saveMemo(SHARED_MEMO, e.reaction, null);
          if (outcome.outcome === 'executed') outcome = { ...outcome, detail: `reverted: ${outcome.detail}` };
        } else {
          const ran = await plugin.run(reaction.spec, input, this.sendContext);
          // The first run of an outage records the original; later runs (other checks) find it changed already.
          if (ran.memo !== undefined && (await this.o.memos.loadMemo(SHARED_MEMO, e.reaction)) == null) {
            await this.o.memos.saveMemo(SHARED_MEMO, e.reaction, ran.memo);
          }
          outcome = { outcome: ran.outcome, detail: ran.detail };
        }
      } catch (err) {
        outcome = { outcome: 'failed', detail: describeError(err) };
      }
    }
    // The reaction has run: settle it first, so a failure to record it can never run it again.
    // (A refused settlement is kept and retried by `settle`; the claim holds meanwhile, so it never re-runs.)
    const recorded = await this.settle(item.key, () => this.o.outbox.complete(item.key, this.o.clock.now())).then(() => undefined, (err: unknown) => err);
    await this.finishReaction(e, outcome).catch((err: Error) => this.o.log.error('could not record a reaction outcome', { key: item.key, error: err.message }));
    this.o.log.info(`reaction ${e.reaction} on ${e.check} ${outcome.outcome}: ${outcome.detail}`, { key: item.key, took: this.o.clock.now() - now });
    if (recorded !== undefined) throw recorded;
  }

  /** Record the outcome in the timeline and enqueue `reaction.ran` to the check's channels. */
  private async finishReaction(e: ReactEffect, result: Pick<ReactionOutcome, 'outcome' | 'detail'>): Promise<void> {
    const at = this.o.clock.now();
    const type = this.o.config.reactions[e.reaction]?.type ?? 'unknown';
    const outcome: ReactionOutcome = { reaction: e.reaction, type, outcome: result.outcome, detail: result.detail, at: new Date(at).toISOString() };
    // The incident may have opened while the reaction ran: attach and announce it there.
    const incident = e.incident ?? (await this.o.incidents.openIncident(e.check));
    await this.o.incidents.addTimeline({ check: e.check, incidentId: incident?.id ?? null, at, kind: 'reaction', detail: `${e.reaction} (${type}) ${result.outcome}: ${result.detail}` });
    if (!incident || e.announceTo.length === 0) return;
    const payload = { event: 'reaction.ran' as const, incident, reaction: outcome };
    await this.o.outbox.enqueue(e.announceTo.map((channel) => ({ kind: 'notify', key: `${e.key}:ran:${channel}`, channel, payload })), at);
    this.again = true;
  }

  /** Other checks using this reaction whose incident is still open. */
  private async othersStillDown(reaction: string, check: string): Promise<string[]> {
    const others = this.o.config.checks.filter((c) => c.id !== check && c.react.includes(reaction)).map((c) => c.id);
    const open = await Promise.all(others.map(async (id) => ((await this.o.incidents.openIncident(id)) ? id : undefined)));
    return open.filter((id): id is string => id !== undefined);
  }

  private backoff(attempts: number): number {
    return Math.min(this.o.baseDelayMs * 2 ** Math.max(0, attempts - 1), 300_000);
  }
}
