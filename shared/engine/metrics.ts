/**
 * Aggregates of a batch of results. CloudWatch metrics cost $0.30 a month each: the pipeline
 * publishes them per region only; per service and region it logs one line (SERVICE_HEALTH), which
 * the dashboard's Logs Insights widgets chart without a metric per service.
 */
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

/** The message of the per-service log line the dashboard queries. */
export const SERVICE_HEALTH = 'service health';

/**
 * One compact JSON line (written raw to stdout: no logger envelope, about 120 bytes), e.g.
 * `{"m":"service health","service":"shop","region":"eu-west-1","availability":100,"latencyMs":212.5,"count":17}`.
 * Logs Insights: `filter m = "service health" | stats avg(availability), avg(latencyMs) by service, region, bin(5m)`.
 */
export function serviceHealthLine(m: ServiceRegionMetric): string {
  return `${JSON.stringify({ m: SERVICE_HEALTH, service: m.service, region: m.region, availability: Math.round(m.availability * 10) / 10, latencyMs: Math.round(m.latencyMs * 10) / 10, count: m.count })}\n`;
}

export function regionMetrics(results: ProbeResult[]): { region: string; availability: number; latencyMs: number; count: number }[] {
  const acc = new Map<string, { ok: number; n: number; latency: number }>();
  for (const r of results) {
    if (r.region === 'push') continue;
    const a = acc.get(r.region) ?? { ok: 0, n: 0, latency: 0 };
    a.n++;
    if (r.ok) a.ok++;
    a.latency += r.latencyMs;
    acc.set(r.region, a);
  }
  return [...acc.entries()].map(([region, a]) => ({ region, availability: (100 * a.ok) / a.n, latencyMs: a.latency / a.n, count: a.n }));
}
