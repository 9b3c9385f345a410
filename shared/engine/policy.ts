import type { CompiledCheck, CompiledConfig } from '../config/compile.ts';
import { isPushed } from '../checks/index.ts';
import { PUSH_REGION, type CheckPolicy } from './reducer.ts';

/** The reducer's view of a compiled check. */
export function policyFor(check: CompiledCheck, config: CompiledConfig): CheckPolicy {
  const pushed = isPushed(check);
  return {
    check: check.id,
    service: check.service,
    group: check.group,
    severity: check.severity,
    regions: pushed ? [PUSH_REGION] : config.settings.regions,
    failures: pushed ? 1 : check.failures,
    recoveries: pushed ? 1 : check.recoveries,
    quorum: pushed ? 1 : check.quorum,
    channels: check.alert.map((id) => ({ id, events: config.channels[id]?.events })),
    reactions: check.react.flatMap((id) => {
      const r = config.reactions[id];
      return r ? [{ id, after: r.after, cooldownMs: r.cooldownMs, revert: r.revert }] : [];
    }),
  };
}

export function policiesFor(config: CompiledConfig): Map<string, CheckPolicy> {
  return new Map(config.checks.map((c) => [c.id, policyFor(c, config)]));
}
