import { z } from 'zod';
import { duration } from '../config/fields.ts';
import type { SendContext } from '../channels/channel.ts';
import type { Incident } from '../types.ts';

/** Keys every reaction takes besides its own. */
export const reactionBase = {
  /** Consecutive failed rounds of the check before the reaction runs. @default 1 */
  after: z.int().min(1).max(1000).default(1),
  /** The reaction never runs twice for one check within this time. @default 5m */
  cooldown: duration.default('5m'),
};

/** What a reaction is asked to do something about. */
export interface ReactionInput {
  reaction: string;
  check: string;
  incident: Incident | null;
  /** Why it runs now, e.g. "3 consecutive failed rounds". */
  trigger: string;
}

export interface ReactionRun {
  outcome: 'executed' | 'failed';
  detail: string;
  /** Kept for `revert` (JSON-serialisable), e.g. the record's original target. */
  memo?: unknown;
}

export interface Reaction<S extends z.ZodType = z.ZodType> {
  readonly type: string;
  readonly schema: S;
  run(spec: z.infer<S>, input: ReactionInput, ctx: SendContext): Promise<ReactionRun>;
  /**
   * Undo the reaction once the incident is resolved; only called when the spec says `revert: true`
   * and the reaction ran in the outage. `memo` is what `run` returned as its memo.
   */
  revert?(spec: z.infer<S>, input: ReactionInput, memo: unknown, ctx: SendContext): Promise<ReactionRun>;
}

export function defineReaction<S extends z.ZodType>(reaction: Reaction<S>): Reaction<S> {
  return reaction;
}
