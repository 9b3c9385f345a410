/** The evaluator's state cache: reads once per TTL, never hides another process's transition. */
import { describe, expect, it } from 'vitest';
import { CachedStateStore } from '../../shared/engine/state-cache.ts';
import type { Commit, StateStore } from '../../shared/ports.ts';
import type { CheckState } from '../../shared/types.ts';

function fakeStore() {
  const states = new Map<string, CheckState>();
  let epoch = 0;
  const calls = { get: 0 };
  const store: StateStore & { epochBump(): void } = {
    async getState(check) {
      calls.get++;
      return states.get(check);
    },
    async listStates() {
      return [...states.values()];
    },
    async commit(c: Commit) {
      const cur = states.get(c.check)?.version ?? 0;
      if (cur !== c.expectedVersion) return false;
      states.set(c.check, { ...c.state, version: cur + 1 });
      epoch++;
      return true;
    },
    async stateEpoch() {
      return epoch;
    },
    epochBump() {
      epoch++;
    },
  };
  return { store, states, calls };
}

const state = (check: string, version: number, incident = false): CheckState => ({
  check, version, regions: {}, reactions: {},
  incident: incident ? { id: 'x', check, service: 's', group: null, severity: 'warning', openedAt: '2026-11-22T00:00:00.000Z', resolvedAt: null, durationSeconds: null, reason: 'down', regions: {} } : null,
});

describe('CachedStateStore', () => {
  it('reads a state once per TTL, and serves its own commits from memory', async () => {
    let now = 0;
    const { store, calls } = fakeStore();
    const cache = new CachedStateStore(store, () => now, 60_000);
    expect(await cache.getState('a/b')).toBeUndefined();
    expect(await cache.getState('a/b')).toBeUndefined();
    expect(calls.get).toBe(1);
    expect(await cache.commit({ check: 'a/b', expectedVersion: 0, state: state('a/b', 0), effects: [], at: 1 })).toBe(true);
    expect((await cache.getState('a/b'))?.version).toBe(1);
    expect(calls.get).toBe(1);
    now = 60_001;
    await cache.getState('a/b');
    expect(calls.get).toBe(2);
  });

  it('forgets everything when another process committed (the epoch moved), and after a conflict', async () => {
    const { store, states, calls } = fakeStore();
    const cache = new CachedStateStore(store, () => 0, 300_000);
    await cache.validate();
    await cache.getState('a/b');
    // Another container opens an incident.
    states.set('a/b', state('a/b', 1, true));
    store.epochBump();
    expect((await cache.getState('a/b'))).toBeUndefined(); // stale until validated
    await cache.validate();
    expect((await cache.getState('a/b'))?.incident?.id).toBe('x');
    expect(calls.get).toBe(2);
    await cache.validate(); // nothing changed: the cache stays
    await cache.getState('a/b');
    expect(calls.get).toBe(2);
    // A commit from a stale version fails and drops the entry.
    expect(await cache.commit({ check: 'a/b', expectedVersion: 0, state: state('a/b', 0), effects: [], at: 2 })).toBe(false);
    await cache.getState('a/b');
    expect(calls.get).toBe(3);
  });
});
