/**
 * The probe of each kind that has one, apart from the kinds' schemas: the runtime side of the
 * check table (shared/checks/index.ts), which the Lambda prober bundles without zod. Each kind
 * module points its `probe` here; test/unit/probes.test.ts checks the two tables agree.
 */
import { probeHeartbeat } from './heartbeat-probe.ts';
import { probeHttp } from './http-probe.ts';
import type { HttpSpec } from './http.ts';
import type { ProbeAttempt, ProbeContext } from './kind.ts';
import { probeTcp } from './tcp-probe.ts';

type Probe<S> = (spec: S, ctx: ProbeContext) => Promise<ProbeAttempt>;

export const probes = {
  http: ((spec, ctx) => probeHttp(spec, ctx.timeoutMs, ctx.region)) as Probe<HttpSpec>,
  tcp: ((spec, ctx) => probeTcp(spec, ctx.timeoutMs)) as Probe<Parameters<typeof probeTcp>[0]>,
  heartbeat: probeHeartbeat as Probe<{ every: string; grace: string }>,
} as const;

/** Kinds whose results are pushed or already confirmed: one virtual region, no failures or quorum. */
export const PUSHED_KINDS: ReadonlySet<string> = new Set(['heartbeat', 'webhook']);
