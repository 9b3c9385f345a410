import { PagerlessError } from '../kit/errors.ts';
import type { StateStore } from '../ports.ts';
import type { ProbeResult } from '../types.ts';
import { evaluate, type CheckPolicy, type Transition } from './reducer.ts';

/** The state kept changing under the evaluator (another writer): retryable. */
export class ConflictError extends PagerlessError {
  override name = 'ConflictError';
  constructor(message: string) {
    super(message, { code: 'STATE_CONFLICT', retryable: true });
  }
}

/**
 * Applies results to stored state with optimistic locking: read, reduce, commit if the version is
 * unchanged, else re-read and re-apply. A transition and its effects are committed together.
 */
export class Evaluator {
  constructor(
    private readonly store: StateStore,
    private readonly policies: Map<string, CheckPolicy>,
  ) {}

  /** @returns the transition, or undefined for a result of a check the config no longer has. */
  async apply(result: ProbeResult): Promise<Transition | undefined> {
    const policy = this.policies.get(result.check);
    if (!policy) return undefined;
    for (let attempt = 0; attempt < 8; attempt++) {
      const previous = await this.store.getState(result.check);
      const t = evaluate(previous, result, policy);
      if (!t.changed) return t;
      const committed = await this.store.commit({
        check: result.check,
        expectedVersion: previous?.version ?? 0,
        state: t.state,
        opened: t.opened,
        outageStartedAt: t.outageStartedAt,
        resolved: t.resolved,
        effects: t.effects,
        at: result.at,
      });
      if (committed) return { ...t, state: { ...t.state, version: (previous?.version ?? 0) + 1 } };
    }
    throw new ConflictError(`state of ${result.check} kept changing under 8 attempts to apply a result`);
  }
}
