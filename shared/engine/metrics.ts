/** Aggregates for CloudWatch: per service and region, never per endpoint (cost rule). */
import type { CompiledConfig } from '../config/compile.ts';
import type { ProbeResult } from '../types.ts';

export interface ServiceRegionMetric {
  service: string;
  region: string;
  /** Percent of results that passed. */
  availability: number;
  /** Mean latency of the results, ms. */
  latencyMs: number;
  count: number;
}

export function serviceMetrics(config: CompiledConfig, results: ProbeResult[]): ServiceRegionMetric[] {
  const serviceOf = new Map(config.checks.map((c) => [c.id, c.service]));
  const acc = new Map<string, { service: string; region: string; ok: number; n: number; latency: number }>();
  for (const r of results) {
    const service = serviceOf.get(r.check);
    if (!service || r.region === 'push') continue;
    const key = `${service}\0${r.region}`;
    const a = acc.get(key) ?? { service, region: r.region, ok: 0, n: 0, latency: 0 };
    a.n++;
    if (r.ok) a.ok++;
    a.latency += r.latencyMs;
    acc.set(key, a);
  }
  return [...acc.values()].map((a) => ({ service: a.service, region: a.region, availability: (100 * a.ok) / a.n, latencyMs: a.latency / a.n, count: a.n }));
}
