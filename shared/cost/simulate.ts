/**
 * `pagerless cost`: one simulated hour of the config through the pipeline's own code (scheduler
 * plan, SQS packing, one Results item per prober batch, the evaluator with its state cache) with
 * counting adapters; the counts times the price table, per month. Probes are not sent: every check
 * answers after `probeLatencyMs` (the steady state, where nothing is down).
 */
import { encodeResultsItems } from '../adapters/aws/dynamo-store.ts';
import { SqliteStore } from '../adapters/local/sqlite-store.ts';
import type { CompiledConfig } from '../config/compile.ts';
import { EffectExecutor } from '../engine/effects.ts';
import { Evaluator } from '../engine/evaluator.ts';
import { evaluateBatch, probedChecks, scheduleMinute } from '../engine/pipeline.ts';
import { policiesFor } from '../engine/policy.ts';
import { CachedStateStore } from '../engine/state-cache.ts';
import type { Commit, ProbeQueue } from '../ports.ts';
import type { Effect, ProbeResult } from '../types.ts';
import { pingEveryMs } from '../checks/index.ts';
import { serviceMetrics } from '../engine/metrics.ts';
import { HOURS_PER_MONTH, PRICES } from './prices.ts';

/** One per-service health line (serviceHealthLine, written raw). */
const SERVICE_LINE_BYTES = 120;

export interface CostAssumptions {
  /** Wall time of one HTTPS check with a fresh connection. @default 300 */
  probeLatencyMs: number;
  /** Work per invocation besides the checks (init amortised, the DynamoDB write). @default 60 */
  invocationOverheadMs: number;
  /** Lambda memory. @default 256 */
  memoryMb: number;
  /** Checks one prober invocation runs at once. @default 200 */
  proberConcurrency: number;
  /** Log bytes per invocation (START, END, REPORT and one JSON line). @default 700 */
  logBytesPerInvocation: number;
  /** Long-poll connections the Lambda event source keeps on each queue (20 s polls). @default 5 */
  sqsPollersPerQueue: number;
}

export const DEFAULT_ASSUMPTIONS: CostAssumptions = {
  probeLatencyMs: 300,
  invocationOverheadMs: 60,
  memoryMb: 256,
  proberConcurrency: 200,
  logBytesPerInvocation: 700,
  sqsPollersPerQueue: 5,
};

interface Counts {
  invocations: Record<string, number>;
  gbSeconds: number;
  sqsRequests: number;
  wru: number;
  rru: number;
  crossRegionBytes: number;
  logBytes: number;
  resultsItemBytes: number;
  resultsItems: number;
  results: number;
  stateWrites: number;
}

const KB = 1024;
const units = (bytes: number, per: number) => Math.max(1, Math.ceil(bytes / per));

/** A SQLite-backed store that charges each call as the DynamoDB store would (sizes, transactions, queries). */
class CountingStore extends SqliteStore {
  constructor(private readonly c: Counts, private readonly home: string) {
    super(':memory:');
  }

  override async appendResults(results: ProbeResult[]): Promise<void> {
    // The items the DynamoDB store writes for this batch (compact tuples, deflated when large), sized
    // as DynamoDB bills them: attribute names plus values.
    let bytes = 0;
    for (const item of encodeResultsItems(results, results[0]?.region, 7 * 86_400_000)) {
      const size = Object.entries(item).reduce((n, [k, v]) => n + k.length + (v instanceof Uint8Array ? v.byteLength : typeof v === 'string' ? Buffer.byteLength(v) : 8), 0);
      bytes += size;
      this.c.wru += units(size, KB);
    }
    this.c.resultsItemBytes += bytes;
    this.c.resultsItems++;
    this.c.results += results.length;
    if (results[0] && results[0].region !== this.home && results[0].region !== 'push') this.c.crossRegionBytes += bytes;
    return super.appendResults(results);
  }

  override async getState(check: string) {
    this.c.rru += 1; // strongly consistent (a re-read after a conflict must see the new version), < 4 KB
    return super.getState(check);
  }

  override async commit(commit: Commit): Promise<boolean> {
    const items = [JSON.stringify(commit.state), ...(commit.opened ? [JSON.stringify(commit.opened)] : []), ...(commit.resolved ? [JSON.stringify(commit.resolved)] : []), ...commit.effects.map((e) => JSON.stringify(e))];
    this.c.wru += 2 * items.reduce((n, s) => n + units(s.length, KB), 0); // transactions cost double
    this.c.stateWrites++;
    return super.commit(commit);
  }

  override async claimDue(now: number, limit: number) {
    this.c.rru += 0.5;
    const items = await super.claimDue(now, limit);
    this.c.wru += items.length;
    return items;
  }

  override async enqueue(effects: Effect[], at: number) {
    this.c.wru += effects.length;
    return super.enqueue(effects, at);
  }

  override async complete(key: string, at: number) {
    this.c.wru += 1;
    return super.complete(key, at);
  }

  override async lastPings() {
    this.c.rru += 0.5;
    return super.lastPings();
  }

  override async lastPingFailures() {
    this.c.rru += 0.5;
    return super.lastPingFailures();
  }

  override async watchStart(checks: string[], now: number) {
    this.c.rru += 0.5;
    return super.watchStart(checks, now);
  }
}

export interface CostLine {
  item: string;
  quantity: number;
  unit: string;
  usd: number;
}

export interface CostReport {
  endpoints: number;
  regions: string[];
  lines: CostLine[];
  totalUsd: number;
  perEndpointUsd: number;
  /** Facts of the simulated hour. */
  hour: { resultsItems: number; results: number; meanItemBytes: number; stateReads: number; stateWrites: number; proberInvocations: number };
  assumptions: CostAssumptions;
}

export async function estimateCost(config: CompiledConfig, assumptions: CostAssumptions = DEFAULT_ASSUMPTIONS, hours = 1): Promise<CostReport> {
  const a = assumptions;
  const home = config.settings.home ?? config.settings.regions[0] ?? 'us-east-1';
  const c: Counts = { invocations: {}, gbSeconds: 0, sqsRequests: 0, wru: 0, rru: 0, crossRegionBytes: 0, logBytes: 0, resultsItemBytes: 0, resultsItems: 0, results: 0, stateWrites: 0 };
  const invoke = (fn: string, ms: number) => {
    c.invocations[fn] = (c.invocations[fn] ?? 0) + 1;
    c.gbSeconds += (Math.ceil(ms) / 1000) * (a.memoryMb / 1024);
    c.logBytes += a.logBytesPerInvocation;
  };
  let now = Date.UTC(2026, 0, 5, 0, 0, 0);
  const clock = { now: () => now };
  const store = new CountingStore(c, home);
  const cached = new CachedStateStore(store, clock.now);
  const evaluator = new Evaluator(cached, policiesFor(config));
  const log = { info: () => undefined, warn: () => undefined, error: () => undefined };
  const executor = new EffectExecutor({ outbox: store, incidents: store, memos: store, config, clock, log, print: () => undefined });
  const sent = new Map<string, { delaySeconds: number; at: number; checks: string[] }[]>();
  const queue: ProbeQueue = {
    async send(region, messages) {
      c.sqsRequests += Math.ceil(messages.length / 10);
      sent.set(region, messages);
    },
  };
  // Warm up first (every check's first state is written once, not every hour), then count.
  const warmUpMinutes = Math.ceil(Math.max(60_000, ...config.checks.map((x) => x.intervalMs)) / 60_000) + 1;
  const counted = { ...c };
  try {
    for (let m = -warmUpMinutes; m < 60 * hours; m++) {
      if (m === 0) Object.assign(c, { ...counted, invocations: {} });
      const minuteStart = now;
      sent.clear();
      await scheduleMinute({ config, queue, store, clock }, minuteStart);
      await executor.recover();
      await executor.drain();
      c.rru += 1; // recover()'s query of timed-out claims (drain's is counted in claimDue)
      invoke('scheduler', a.invocationOverheadMs + 40);
      for (const [region, messages] of sent) {
        // One prober invocation per slot (messages that become visible together), up to 10 messages each.
        const bySlot = new Map<number, string[][]>();
        for (const msg of messages) bySlot.set(msg.delaySeconds, [...(bySlot.get(msg.delaySeconds) ?? []), msg.checks]);
        for (const [slot, lists] of bySlot) {
          for (let i = 0; i < lists.length; i += 10) {
            const batch = lists.slice(i, i + 10).flat();
            now = minuteStart + slot * 1000 + a.probeLatencyMs;
            const results: ProbeResult[] = batch.map((check) => ({ check, region, at: now, ok: true, latencyMs: a.probeLatencyMs, reason: 'status 200' }));
            await store.appendResults(results);
            c.sqsRequests += 2; // the receive that returned them, and DeleteMessageBatch
            invoke('prober', a.invocationOverheadMs + a.probeLatencyMs * Math.ceil(batch.length / a.proberConcurrency));
            // The stream hands the item to the evaluator, which first checks the state epoch (one read).
            c.rru += 1;
            await evaluateBatch({ evaluator, executor }, results);
            invoke('evaluator', a.invocationOverheadMs + results.length * 0.05);
            c.logBytes += serviceMetrics(config, results).length * SERVICE_LINE_BYTES; // the dashboard's per-service lines
          }
        }
        c.sqsRequests += a.sqsPollersPerQueue * 3; // empty 20 s long polls
      }
      now = minuteStart + 60_000;
    }
  } finally {
    store.close();
  }
  const scale = HOURS_PER_MONTH / hours;
  const probed = probedChecks(config);
  const services = new Set(probed.map((p) => p.service)).size;
  const regions = config.settings.regions;
  const heartbeatPings = config.checks.reduce((n, x) => {
    const every = pingEveryMs(x);
    return every === undefined ? n : n + 3_600_000 / Math.max(60_000, every);
  }, 0) * HOURS_PER_MONTH;
  // RoundsScheduled, ResultsEvaluated, IncidentsOpened, and Availability + Latency per region; per
  // service only log lines (Logs Insights widgets), which cost nothing here.
  const metrics = 3 + 2 * regions.length;
  // As infra/alarms.ts creates them: 7 in the core stack, 2 per prober region.
  const alarms = 7 + 2 * regions.length;
  // KMS keys: the core's (topics), and one per prober region outside the home (its ops topic).
  const kmsKeys = 1 + regions.filter((r) => r !== home).length;
  const invocations = Object.values(c.invocations).reduce((x, y) => x + y, 0) * scale;
  const retentionDays = config.settings.retentionMs / 86_400_000;
  const storedGb = (c.resultsItemBytes * scale * (retentionDays / 30.4)) / 1024 ** 3;
  const lines: CostLine[] = [
    { item: 'Lambda requests (scheduler, probers, evaluator)', quantity: invocations, unit: 'requests', usd: invocations * PRICES.lambdaRequest.usd },
    { item: `Lambda duration (arm64, ${a.memoryMb} MB)`, quantity: c.gbSeconds * scale, unit: 'GB-s', usd: c.gbSeconds * scale * PRICES.lambdaArmGbSecond.usd },
    { item: 'SQS requests (send, receive, delete, empty long polls)', quantity: c.sqsRequests * scale, unit: 'requests', usd: c.sqsRequests * scale * PRICES.sqsRequest.usd },
    { item: 'DynamoDB writes (one Results item per prober batch, state changes)', quantity: c.wru * scale, unit: 'WRU', usd: c.wru * scale * PRICES.dynamoWriteUnit.usd },
    { item: 'DynamoDB reads (state, cached 5 min per evaluator)', quantity: c.rru * scale, unit: 'RRU', usd: c.rru * scale * PRICES.dynamoReadUnit.usd },
    { item: `DynamoDB storage (results kept ${retentionDays} days) + PITR`, quantity: storedGb, unit: 'GB-month', usd: storedGb * (PRICES.dynamoStorageGbMonth.usd + PRICES.dynamoPitrGbMonth.usd) },
    { item: 'Data transfer, prober regions -> home region', quantity: (c.crossRegionBytes * scale) / 1024 ** 3, unit: 'GB', usd: ((c.crossRegionBytes * scale) / 1024 ** 3) * PRICES.interRegionTransferGb.usd },
    { item: `CloudWatch metrics (per region; ${services} services charted from logs)`, quantity: metrics, unit: 'metrics', usd: metrics * PRICES.cloudwatchMetricMonth.usd },
    { item: 'CloudWatch alarms (pipeline health)', quantity: alarms, unit: 'alarms', usd: alarms * PRICES.cloudwatchAlarmMonth.usd },
    { item: 'KMS keys (encrypted topics)', quantity: kmsKeys, unit: 'keys', usd: kmsKeys * PRICES.kmsKeyMonth.usd },
    { item: 'CloudWatch dashboard (1; the first 3 are free)', quantity: 1, unit: 'dashboard', usd: 0 },
    { item: 'CloudWatch Logs ingestion', quantity: (c.logBytes * scale) / 1024 ** 3, unit: 'GB', usd: ((c.logBytes * scale) / 1024 ** 3) * PRICES.cloudwatchLogsGb.usd },
    { item: 'API Gateway (heartbeat pings)', quantity: heartbeatPings, unit: 'requests', usd: heartbeatPings * PRICES.apiRequest.usd },
  ];
  const totalUsd = lines.reduce((n, l) => n + l.usd, 0);
  return {
    endpoints: probed.length,
    regions,
    lines,
    totalUsd,
    perEndpointUsd: probed.length ? totalUsd / probed.length : 0,
    hour: {
      resultsItems: c.resultsItems / hours,
      results: c.results / hours,
      meanItemBytes: c.resultsItems ? c.resultsItemBytes / c.resultsItems : 0,
      stateReads: cached.reads / hours,
      stateWrites: c.stateWrites / hours,
      proberInvocations: (c.invocations.prober ?? 0) / hours,
    },
    assumptions: a,
  };
}

/** The report as aligned text lines. */
export function formatCost(r: CostReport): string {
  const money = (usd: number) => `$${usd < 0.01 && usd > 0 ? usd.toFixed(4) : usd.toFixed(2)}`;
  const qty = (n: number) => (n >= 1000 ? Math.round(n).toLocaleString('en-US') : n < 1 ? n.toFixed(3) : n.toFixed(1));
  const rows = r.lines.map((l) => [l.item, `${qty(l.quantity)} ${l.unit}`, money(l.usd)]);
  const w0 = Math.max(...rows.map((x) => x[0]!.length));
  const w1 = Math.max(...rows.map((x) => x[1]!.length));
  const out = [`Monthly AWS cost, us-east-1 prices, ${r.endpoints} probed endpoints from ${r.regions.length} region(s) (${r.regions.join(', ')}):`, ''];
  for (const [a, b, c] of rows) out.push(`  ${a!.padEnd(w0)}  ${b!.padStart(w1)}  ${c!.padStart(9)}`);
  out.push('', `  ${'Total per month'.padEnd(w0)}  ${''.padStart(w1)}  ${money(r.totalUsd).padStart(9)}`);
  out.push(`  ${'Per endpoint per month'.padEnd(w0)}  ${''.padStart(w1)}  ${(r.endpoints ? `$${r.perEndpointUsd.toFixed(4)}` : '-').padStart(9)}`);
  out.push('', `Simulated hour: ${Math.round(r.hour.proberInvocations)} prober invocations, ${Math.round(r.hour.resultsItems)} Results items (${Math.round(r.hour.meanItemBytes)} bytes on average) for ${Math.round(r.hour.results)} results, ${Math.round(r.hour.stateReads)} state reads, ${Math.round(r.hour.stateWrites)} state writes.`);
  out.push(`Assumptions: ${r.assumptions.probeLatencyMs} ms per check, ${r.assumptions.invocationOverheadMs} ms overhead per invocation, ${r.assumptions.memoryMb} MB, everything up (no incidents), no free tier, no /status or /api polling (a load balancer polling /status every 30 s adds ~$0.10 of API requests and reads). Prices and sources: shared/cost/prices.ts.`);
  return out.join('\n');
}
