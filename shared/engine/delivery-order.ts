/**
 * Which outbox items may run now. Per incident and channel, deliveries happen in order: a later
 * event waits until the earlier one is delivered or given up (never `resolved` before `opened`).
 * Each store hands its unsettled items here, so the rule is decided once for SQLite and DynamoDB.
 */
import type { Effect } from '../types.ts';

export interface UnsettledItem {
  key: string;
  effect: Effect;
  createdAt: number;
  /** Claimed items are running (or were left by a crash); they still block their group. */
  status: 'pending' | 'claimed';
  nextAt: number;
  /** Insertion order where the store has one (SQLite's rowid): immune to a wall clock set back. */
  order?: number;
}

/** Items of one group are delivered one at a time, oldest first; undefined = independent. */
export function orderGroup(effect: Effect): string | undefined {
  if (effect.kind !== 'notify' || !('incident' in effect.payload)) return undefined;
  return `${effect.payload.incident.id}\0${effect.channel}`;
}

/** Effects share a lane's concurrency: one per channel, one per reaction, so a slow one delays only itself. */
export function laneOf(effect: Effect): string {
  return effect.kind === 'notify' ? `channel:${effect.channel}` : `reaction:${effect.reaction}`;
}

/** Oldest first: creation time, then key. */
export function byAge(a: { createdAt: number; key: string }, b: { createdAt: number; key: string }): number {
  return a.createdAt - b.createdAt || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
}

/** Within a group: insertion order where the store knows it (immune to a wall clock set back), else age. */
function earlier(a: UnsettledItem, b: UnsettledItem): boolean {
  if (a.order !== undefined && b.order !== undefined) return a.order < b.order;
  return byAge(a, b) < 0;
}

/**
 * The pending items due at `now` that no earlier unsettled item of their group holds back, oldest
 * first, filtered by `accept` (called in that order, so it may count) and cut at `limit`.
 */
export function runnableItems<T extends UnsettledItem>(unsettled: T[], now: number, limit: number, accept: (effect: Effect) => boolean = () => true): T[] {
  const heads = new Map<string, T>();
  for (const item of unsettled) {
    const group = orderGroup(item.effect);
    if (group === undefined) continue;
    const head = heads.get(group);
    if (!head || earlier(item, head)) heads.set(group, item);
  }
  const out: T[] = [];
  for (const item of [...unsettled].sort(byAge)) {
    const group = orderGroup(item.effect);
    if (group !== undefined && heads.get(group) !== item) continue;
    if (item.status !== 'pending' || item.nextAt > now) continue;
    if (out.length >= limit) break;
    if (accept(item.effect)) out.push(item);
  }
  return out;
}
