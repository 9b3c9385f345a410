/**
 * `pagerless cost`: one simulated hour of the config through the pipeline's own code (scheduler
 * plan, SQS packing, one Results item per prober batch, the evaluator with its state cache) with
 * counting adapters; the counts times the price table, per month. Probes are not sent: each prober
 * invocation is billed as shared/cost/model.ts estimates it (measured CPU per check at the memory's
 * CPU share, the expected slowest target of the batch), and each check's bytes to the internet.
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
import { secretReferences } from '../config/compiled-json.ts';
import { PROBER_SIZING } from '../engine/prober-sizing.ts';
import { coldStartGbSeconds, cpuShare, DEFAULT_PROBER_ASSUMPTIONS, egressBytes, expectedSlowestMs, IN_FLIGHT_CPU_MS, inFlightFor, MB_PER_VCPU, proberInvocation, sizingCurve, type ProbeKind, type ProberAssumptions, type SizingPoint } from './model.ts';
import { HOURS_PER_MONTH, PRICES } from './prices.ts';

/** One per-service health line (serviceHealthLine, written raw). */
const SERVICE_LINE_BYTES = 120;

export interface CostAssumptions {
  /** Billed time of a scheduler or evaluator invocation besides its work, ms. @default 60 */
  invocationOverheadMs: number;
  /** Prober memory, MB. @default PROBER_SIZING.memoryMb (what infra/prober-stack.ts deploys) */
  memoryMb: number;
  /** Scheduler and evaluator memory, MB. @default 256 (infra/function.ts) */
  otherMemoryMb: number;
  /** Checks per SQS message. @default PROBER_SIZING.checksPerMessage (the scheduler's packing) */
  checksPerMessage: number;
  /** Messages per prober invocation. @default PROBER_SIZING.messagesPerInvocation (the event source's batch size) */
  messagesPerInvocation: number;
  /** The prober's per-check and per-invocation figures (model.ts). */
  prober: ProberAssumptions;
  /** Bytes per state-table item (a check's state, its incidents and memos, amortised), for storage and PITR. @default 1000 */
  stateBytesPerCheck: number;
  /** Log bytes per invocation (START, END, REPORT and one JSON line). @default 700 */
  logBytesPerInvocation: number;
  /** Long-poll connections the Lambda event source keeps on each queue (20 s polls). @default 5 */
  sqsPollersPerQueue: number;
}

export const DEFAULT_ASSUMPTIONS: CostAssumptions = {
  invocationOverheadMs: 60,
  memoryMb: PROBER_SIZING.memoryMb,
  otherMemoryMb: 256,
  checksPerMessage: PROBER_SIZING.checksPerMessage,
  messagesPerInvocation: PROBER_SIZING.messagesPerInvocation,
  prober: DEFAULT_PROBER_ASSUMPTIONS,
  stateBytesPerCheck: 1000,
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
  egressBytes: number;
  proberGbSeconds: number;
  /** Most prober invocations running at once in a region (containers kept warm). */
  proberConcurrency: Map<string, number>;
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

/** What a check is to the cost model: HTTPS, plain HTTP or TCP. */
function probeKindOf(check: CompiledConfig['checks'][number]): ProbeKind {
  if (check.kind === 'tcp') return 'tcp';
  const url = (check.spec as { url?: unknown }).url;
  return typeof url === 'string' && url.startsWith('http://') ? 'http' : 'https';
}

export interface CostReport {
  endpoints: number;
  regions: string[];
  lines: CostLine[];
  totalUsd: number;
  perEndpointUsd: number;
  /** Prober duration + per-invocation costs by memory and batch size, for this config. */
  curve: SizingPoint[];
  /** Facts of the simulated hour. */
  hour: { resultsItems: number; results: number; meanItemBytes: number; stateReads: number; stateWrites: number; proberInvocations: number };
  assumptions: CostAssumptions;
}

export async function estimateCost(config: CompiledConfig, assumptions: CostAssumptions = DEFAULT_ASSUMPTIONS, hours = 1): Promise<CostReport> {
  const a = assumptions;
  const home = config.settings.home ?? config.settings.regions[0] ?? 'us-east-1';
  const c: Counts = { invocations: {}, gbSeconds: 0, sqsRequests: 0, wru: 0, rru: 0, crossRegionBytes: 0, logBytes: 0, resultsItemBytes: 0, resultsItems: 0, results: 0, stateWrites: 0, egressBytes: 0, proberGbSeconds: 0, proberConcurrency: new Map() };
  const invoke = (fn: string, ms: number) => {
    c.invocations[fn] = (c.invocations[fn] ?? 0) + 1;
    c.gbSeconds += (Math.ceil(ms) / 1000) * (a.otherMemoryMb / 1024);
    c.logBytes += a.logBytesPerInvocation;
  };
  const kindOf = new Map(config.checks.map((x) => [x.id, probeKindOf(x)]));
  // Batches repeat every minute: price each composition once.
  const bills = new Map<string, ReturnType<typeof proberInvocation>>();
  const billFor = (kinds: ProbeKind[], remote: boolean) => {
    const key = `${remote}:${kinds.filter((k) => k === 'https').length}:${kinds.filter((k) => k === 'http').length}:${kinds.length}`;
    let bill = bills.get(key);
    if (!bill) bills.set(key, bill = proberInvocation(kinds, a.memoryMb, remote, a.prober));
    return bill;
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
      await scheduleMinute({ config, queue, store, clock }, minuteStart, { checksPerMessage: a.checksPerMessage });
      await executor.recover();
      await executor.drain();
      c.rru += 1; // recover()'s query of timed-out claims (drain's is counted in claimDue)
      invoke('scheduler', a.invocationOverheadMs + 40);
      for (const [region, messages] of sent) {
        // Messages that become visible together (a slot), `messagesPerInvocation` to an invocation.
        const bySlot = new Map<number, string[][]>();
        for (const msg of messages) bySlot.set(msg.delaySeconds, [...(bySlot.get(msg.delaySeconds) ?? []), msg.checks]);
        for (const [slot, lists] of bySlot) {
          const running = Math.ceil(lists.length / a.messagesPerInvocation);
          c.proberConcurrency.set(region, Math.max(c.proberConcurrency.get(region) ?? 0, running));
          for (let i = 0; i < lists.length; i += a.messagesPerInvocation) {
            const batch = lists.slice(i, i + a.messagesPerInvocation).flat();
            const kinds = batch.map((id) => kindOf.get(id) ?? 'https');
            const bill = billFor(kinds, region !== home);
            now = minuteStart + slot * 1000 + Math.round(bill.slowestMs);
            const results: ProbeResult[] = batch.map((check) => ({ check, region, at: now, ok: true, latencyMs: a.prober.latencyMedianMs, reason: 'status 200' }));
            await store.appendResults(results);
            c.sqsRequests += 2; // the receive that returned them, and DeleteMessageBatch
            c.invocations.prober = (c.invocations.prober ?? 0) + 1;
            c.proberGbSeconds += bill.gbSeconds;
            c.logBytes += a.logBytesPerInvocation;
            c.egressBytes += kinds.reduce((n, k) => n + egressBytes(k, a.prober), 0);
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
  const stateGb = (config.checks.length * a.stateBytesPerCheck) / 1024 ** 3;
  // Cold starts: each warm container (the most invocations running at once in a region, plus the
  // scheduler and the evaluator) is replaced every `containerLifetimeHours`; INIT is billed.
  const containerMonths = HOURS_PER_MONTH / a.prober.containerLifetimeHours;
  const proberCold = [...c.proberConcurrency.values()].reduce((x, y) => x + y, 0) * containerMonths;
  const otherCold = 2 * containerMonths;
  const initGbSeconds = proberCold * coldStartGbSeconds(a.memoryMb, a.prober) + otherCold * coldStartGbSeconds(a.otherMemoryMb, a.prober);
  // Secrets Manager: each secret a month, and one GetSecretValue per secret per cold start (an upper bound: the prober reads only its checks').
  const secrets = new Set(secretReferences(config).filter((r) => r.startsWith('${secret:')).map((r) => r.replace(/:-[^}]*\}$/, '}'))).size;
  const secretCalls = secrets * (proberCold + otherCold);
  const egressGb = (c.egressBytes * scale) / 1024 ** 3;
  const lines: CostLine[] = [
    { item: 'Lambda requests (scheduler, probers, evaluator)', quantity: invocations, unit: 'requests', usd: invocations * PRICES.lambdaRequest.usd },
    { item: `Lambda duration, probers (arm64, ${a.memoryMb} MB, ${(cpuShare(a.memoryMb) * 100).toFixed(0)}% of a vCPU)`, quantity: c.proberGbSeconds * scale, unit: 'GB-s', usd: c.proberGbSeconds * scale * PRICES.lambdaArmGbSecond.usd },
    { item: `Lambda duration, scheduler and evaluator (${a.otherMemoryMb} MB)`, quantity: c.gbSeconds * scale, unit: 'GB-s', usd: c.gbSeconds * scale * PRICES.lambdaArmGbSecond.usd },
    { item: `Lambda cold starts (INIT billed; ${Math.round(proberCold + otherCold).toLocaleString('en-US')} a month)`, quantity: initGbSeconds, unit: 'GB-s', usd: initGbSeconds * PRICES.lambdaArmGbSecond.usd },
    { item: 'Data transfer out to the internet (the checks\' requests)', quantity: egressGb, unit: 'GB', usd: egressGb * PRICES.internetEgressGb.usd },
    { item: 'SQS requests (send, receive, delete, empty long polls)', quantity: c.sqsRequests * scale, unit: 'requests', usd: c.sqsRequests * scale * PRICES.sqsRequest.usd },
    { item: 'DynamoDB writes (one Results item per prober batch, state changes)', quantity: c.wru * scale, unit: 'WRU', usd: c.wru * scale * PRICES.dynamoWriteUnit.usd },
    { item: 'DynamoDB reads (state, cached 5 min per evaluator)', quantity: c.rru * scale, unit: 'RRU', usd: c.rru * scale * PRICES.dynamoReadUnit.usd },
    { item: `DynamoDB storage, Results (kept ${retentionDays} days; no PITR)`, quantity: storedGb, unit: 'GB-month', usd: storedGb * PRICES.dynamoStorageGbMonth.usd },
    { item: 'DynamoDB storage, state table + its PITR', quantity: stateGb, unit: 'GB-month', usd: stateGb * (PRICES.dynamoStorageGbMonth.usd + PRICES.dynamoPitrGbMonth.usd) },
    { item: 'Data transfer, prober regions -> home region', quantity: (c.crossRegionBytes * scale) / 1024 ** 3, unit: 'GB', usd: ((c.crossRegionBytes * scale) / 1024 ** 3) * PRICES.interRegionTransferGb.usd },
    { item: `CloudWatch metrics (per region; ${services} services charted from logs)`, quantity: metrics, unit: 'metrics', usd: metrics * PRICES.cloudwatchMetricMonth.usd },
    { item: 'CloudWatch alarms (pipeline health)', quantity: alarms, unit: 'alarms', usd: alarms * PRICES.cloudwatchAlarmMonth.usd },
    { item: 'KMS keys (encrypted topics)', quantity: kmsKeys, unit: 'keys', usd: kmsKeys * PRICES.kmsKeyMonth.usd },
    { item: 'CloudWatch dashboard (counted; an account\'s first 3 are free)', quantity: 1, unit: 'dashboard', usd: PRICES.cloudwatchDashboardMonth.usd },
    { item: `Secrets Manager (${secrets} secrets; SSM standard parameters are free)`, quantity: secrets, unit: 'secrets', usd: secrets * PRICES.secretMonth.usd + secretCalls * PRICES.secretApiCall.usd },
    { item: 'CloudWatch Logs ingestion', quantity: (c.logBytes * scale) / 1024 ** 3, unit: 'GB', usd: ((c.logBytes * scale) / 1024 ** 3) * PRICES.cloudwatchLogsGb.usd },
    { item: 'API Gateway (heartbeat pings)', quantity: heartbeatPings, unit: 'requests', usd: heartbeatPings * PRICES.apiRequest.usd },
  ];
  const totalUsd = lines.reduce((n, l) => n + l.usd, 0);
  // The curve: each region's checks per 10 s slot, as the simulated hour sent them.
  const perRegion = regions.map((region) => ({ checksPerSlot: Math.round(c.results / hours / regions.length / 360), remote: region !== home, kind: dominantKind(probed.map(probeKindOf)) }));
  const perInvocationUsd = (checks: number) => 2 * PRICES.lambdaRequest.usd + 2 * PRICES.sqsRequest.usd + units(checks * RESULT_BYTES, KB) * PRICES.dynamoWriteUnit.usd
    + PRICES.dynamoReadUnit.usd + ((a.invocationOverheadMs + checks * 0.05) / 1000) * (a.otherMemoryMb / 1024) * PRICES.lambdaArmGbSecond.usd
    + ((2 * a.logBytesPerInvocation) / 1024 ** 3) * PRICES.cloudwatchLogsGb.usd;
  const curve = probed.length === 0 ? [] : sizingCurve(perRegion, 6 * 60 * HOURS_PER_MONTH, CURVE_MEMORIES, CURVE_BATCH_SIZES, perInvocationUsd, PRICES.lambdaArmGbSecond.usd, a.prober);
  return {
    curve,
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

/** Memories and batch sizes the curve is printed for. */
const CURVE_MEMORIES = [128, 256, 512, 1024, 1769];
const CURVE_BATCH_SIZES = [50, 100, 200, 400];
/** Bytes a result adds to a Results item (compact tuples; `pagerless cost` measures ~6). */
const RESULT_BYTES = 6;

function dominantKind(kinds: ProbeKind[]): ProbeKind {
  const n = (k: ProbeKind) => kinds.filter((x) => x === k).length;
  return (['https', 'http', 'tcp'] as const).reduce((best, k) => (n(k) > n(best) ? k : best), 'https');
}

/** The curve as a table: rows are batch sizes, columns memories; $ a month (checks in flight, p95 latency growth in ms). */
export function formatCurve(points: SizingPoint[]): string[] {
  if (points.length === 0) return [];
  const memories = [...new Set(points.map((p) => p.memoryMb))];
  const sizes = [...new Set(points.map((p) => p.checksPerInvocation))];
  const cell = (p: SizingPoint) => `$${p.usd.toFixed(2)} (${p.inFlight}, +${Math.round(p.inflationP95Ms)} ms)`.padStart(24);
  const out = [`  ${'checks/invocation'.padEnd(18)}${memories.map((m) => `${m} MB`.padStart(24)).join('')}`];
  for (const n of sizes) out.push(`  ${String(n).padEnd(18)}${memories.map((m) => cell(points.find((p) => p.memoryMb === m && p.checksPerInvocation === n)!)).join('')}`);
  return out;
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
  out.push('', 'Assumptions:', ...assumptionLines(r.assumptions).map((l) => `  - ${l}`));
  if (r.curve.length > 0) {
    out.push('', 'Prober sizing: prober duration (cold starts included) + per-invocation costs (Lambda and SQS requests, the Results', 'item, the evaluator, log lines), $ a month; in brackets the checks in flight at that memory and the p95 of what a', 'check\'s measured latency grows by while it waits for the thread:', ...formatCurve(r.curve));
  }
  return out.join('\n');
}

/** Every assumption behind the figures, in words (printed by `pagerless cost`). */
export function assumptionLines(a: CostAssumptions): string[] {
  const p = a.prober;
  const kinds = (rec: Record<ProbeKind, number>, unit: string) => `HTTPS ${rec.https}${unit}, HTTP ${rec.http}${unit}, TCP ${rec.tcp}${unit}`;
  const n = a.checksPerMessage * a.messagesPerInvocation;
  const slowest = expectedSlowestMs(n, p);
  const q = (z: number) => Math.round(p.latencyMedianMs * Math.exp(z * p.latencySigma));
  return [
    `prober: ${a.memoryMb} MB (${(cpuShare(a.memoryMb) * 100).toFixed(1)}% of a vCPU: ${MB_PER_VCPU} MB = 1 vCPU, one Node.js thread uses at most one); up to ${n} checks an invocation (${a.checksPerMessage} per SQS message, ${a.messagesPerInvocation} message(s) per invocation)`,
    `client CPU per check: ${kinds(p.cpuMsPerCheck, ' ms')} of one vCPU (measured: BENCH_ONLY=costinputs npm run bench); ${p.overheadCpuMs} ms of handler CPU per invocation`,
    `latency of a check: lognormal, median ${p.latencyMedianMs} ms, sigma ${p.latencySigma} (p95 ${q(1.645)} ms, p99 ${q(2.326)} ms); ${(p.hangShare * 100).toFixed(2)}% of checks hang until the ${p.timeoutMs / 1000} s timeout; expected slowest of ${n}: ${Math.round(slowest)} ms`,
    `an invocation runs ${inFlightFor(a.memoryMb, p.cpuMsPerCheck.https)} checks at a time (${IN_FLIGHT_CPU_MS} ms of the thread's time in flight at this memory's share; a worker takes the next check when its last one is done) and is billed for that run (simulated: each check waits for its target, then for the thread), plus its own CPU and the Results write; at this size a check's measured latency grows by ${Math.round(proberInvocation(Array(n).fill('https'), a.memoryMb, false, p).inflationP95Ms)} ms at p95 while it waits for the thread`,
    `Results write: ${p.resultsWriteHomeMs} ms in the home region, ${p.resultsWriteRemoteMs} ms from other regions; scheduler and evaluator: ${a.otherMemoryMb} MB, ${a.invocationOverheadMs} ms per invocation besides their work`,
    `bytes sent per check: ${kinds(p.bytesSentPerCheck, ' B')} of TCP payload (measured, TLS records included), + ${p.hostNameBytes} B for a host name (SNI, Host), + ${kinds(p.packetsPerCheck, '')} packets x ${p.headerBytesPerPacket} B of IP/TCP headers; answers coming in are free; priced at $${PRICES.internetEgressGb.usd}/GB, the rate after the free tier (the account-wide 100 GB a month free is not deducted)`,
    `cold starts: INIT is billed (since Aug 2025), ${p.initCpuMs} ms of CPU at the memory's share; each warm container (the most prober invocations running at once in a region, the scheduler, the evaluator) is replaced every ${p.containerLifetimeHours} h`,
    `state table: ${a.stateBytesPerCheck} B per check, with point-in-time recovery ($${PRICES.dynamoPitrGbMonth.usd}/GB-month); the Results table has none (infra/storage.ts)`,
    `logs: ${a.logBytesPerInvocation} B per invocation and one line per service per batch; ${a.sqsPollersPerQueue} SQS long-poll connections per queue`,
    'everything up (no incidents, no retries, no redirects); no free tier (dashboards, DynamoDB storage, egress); no /status or /api polling (a load balancer polling /status every 30 s adds ~$0.10 of API requests and reads)',
    'prices: us-east-1 list prices, arm64 Lambda; sources in shared/cost/prices.ts',
  ];
}
