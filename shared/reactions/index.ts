/** The one table of reactions. Adding a reaction: write its module, add it here. */
import type { Reaction } from './reaction.ts';
import { webhook } from './webhook.ts';

export const reactions = { webhook } satisfies Record<string, Reaction<any>>;
export type ReactionType = keyof typeof reactions;
