/**
 * @deprecated views of the one check-kind table (shared/checks/index.ts), kept so that old imports
 * compile. Use `probeOf(check)`, `isPushed(check)` and the other helpers of index.ts instead.
 */
import { CHECK_KIND_NAMES, checkKinds, isPushed, type Probe } from './index.ts';

/** @deprecated use probeOf(check). The probe of each kind that has one. */
export const probes: Readonly<Partial<Record<keyof typeof checkKinds, Probe>>> = Object.fromEntries(
  CHECK_KIND_NAMES.flatMap((k) => {
    const probe = checkKinds[k].probe as Probe | undefined;
    return probe ? [[k, probe]] : [];
  }),
);

/** @deprecated use isPushed(check). Kinds whose results are pushed: one virtual region. */
export const PUSHED_KINDS: ReadonlySet<string> = new Set(CHECK_KIND_NAMES.filter((kind) => isPushed({ kind })));
