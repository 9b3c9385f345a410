import { PUSHED_KINDS } from '../checks/probes.ts';

/** Pushed or already-confirmed kinds (hooks, heartbeats): one virtual region, no failures or quorum. */
export function isPushed(check: { kind: string }): boolean {
  return PUSHED_KINDS.has(check.kind);
}
