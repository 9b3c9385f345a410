/**
 * The prober's side of `pagerless cost`, as pure arithmetic: what one invocation of N checks is
 * billed (CPU at the memory's share, the wait for the slowest target, the Results write), what
 * the checks send to the internet, and cold starts. Every input is a named assumption that
 * formatCost prints; the measured ones come from the bench.
 */

/**
 * Measured per check on a loopback target through the real probe code (runRound), by
 * `BENCH_ONLY=costinputs npm run bench` (test/bench/run.ts, section `costinputs`), 2026-11-23, on
 * the 2-core x86 build machine under load from other jobs (so CPU is likely high; a reviewer saw
 * 1.5–2.1 ms per HTTPS check). Bytes are the TCP payload the client sends (TLS records
 * included), against 127.0.0.1: no SNI, a short Host header.
 */
export const MEASURED = {
  cpuMsPerCheck: { http: 0.62, https: 3.37, tcp: 0.27 },
  bytesSentPerCheck: { http: 129, https: 596, tcp: 0 },
} as const;

export type ProbeKind = keyof typeof MEASURED.cpuMsPerCheck;

/** Lambda gives CPU in proportion to memory: 1,769 MB is one vCPU (Lambda docs, "Memory and computing power"). */
export const MB_PER_VCPU = 1769;

export interface ProberAssumptions {
  /** Client CPU per check, ms of one vCPU. @default MEASURED.cpuMsPerCheck */
  cpuMsPerCheck: Record<ProbeKind, number>;
  /** TCP payload sent per check. @default MEASURED.bytesSentPerCheck */
  bytesSentPerCheck: Record<ProbeKind, number>;
  /** Packets the client sends per check (SYN, ACKs, handshake, request, alerts, FIN). @default { http: 7, https: 10, tcp: 4 } */
  packetsPerCheck: Record<ProbeKind, number>;
  /** IPv4 + TCP header (with timestamps) per packet; egress is metered on IP bytes. @default 52 */
  headerBytesPerPacket: number;
  /** Bytes a real host name adds to a check (SNI and Host header) over the loopback measurement. @default 40 */
  hostNameBytes: number;
  /** Lognormal latency of one check with a fresh connection (DNS, connect, TLS, first byte): median, ms. @default 120 */
  latencyMedianMs: number;
  /** Lognormal sigma (ln ms): 0.7 puts p95 at 3.2x and p99 at 5.1x the median. @default 0.7 */
  latencySigma: number;
  /** Share of checks that hang until their timeout (a target that drops packets). @default 0.001 */
  hangShare: number;
  /** The check timeout a hanging target holds an invocation for, ms. @default 10000 (POLICY_DEFAULTS) */
  timeoutMs: number;
  /** Handler CPU per invocation besides the checks (SQS record parsing, encoding the item, logs), ms of one vCPU. @default 15 */
  overheadCpuMs: number;
  /** Waiting for the Results PutItem: in the home region, ms. @default 10 */
  resultsWriteHomeMs: number;
  /** ... from any other region (one round trip to the home region), ms. @default 150 */
  resultsWriteRemoteMs: number;
  /** Cold start (INIT, billed since Aug 2025) CPU at one vCPU, ms (bench `bundle`: ~100 ms import) plus the runtime's own. @default 250 */
  initCpuMs: number;
  /** How long a busy container lives before Lambda replaces it, hours (not documented; observed hours). @default 2 */
  containerLifetimeHours: number;
}

export const DEFAULT_PROBER_ASSUMPTIONS: ProberAssumptions = {
  cpuMsPerCheck: { ...MEASURED.cpuMsPerCheck },
  bytesSentPerCheck: { ...MEASURED.bytesSentPerCheck },
  packetsPerCheck: { http: 7, https: 10, tcp: 4 },
  headerBytesPerPacket: 52,
  hostNameBytes: 40,
  latencyMedianMs: 120,
  latencySigma: 0.7,
  hangShare: 0.001,
  timeoutMs: 10_000,
  overheadCpuMs: 15,
  resultsWriteHomeMs: 10,
  resultsWriteRemoteMs: 150,
  initCpuMs: 250,
  containerLifetimeHours: 2,
};

/** The vCPU share a memory size gets; one Node.js thread uses at most one. */
export function cpuShare(memoryMb: number): number {
  return Math.min(1, memoryMb / MB_PER_VCPU);
}

/** Standard normal CDF (Abramowitz–Stegun 7.1.26 on erf; error < 1.5e-7). */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erf = 1 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return z >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

/**
 * Expected slowest of `n` checks, ms: each answers after a lognormal time (median, sigma), capped
 * at the timeout, or hangs until the timeout with probability `hangShare`.
 * E[max] = ∫₀ᵀ 1 − ((1 − p)·F(x))ⁿ dx, integrated with Simpson's rule.
 */
export function expectedSlowestMs(n: number, a: Pick<ProberAssumptions, 'latencyMedianMs' | 'latencySigma' | 'hangShare' | 'timeoutMs'>): number {
  if (n <= 0) return 0;
  const mu = Math.log(a.latencyMedianMs);
  const cdf = (x: number) => (x <= 0 ? 0 : (1 - a.hangShare) * normalCdf((Math.log(x) - mu) / a.latencySigma));
  const steps = 4_000;
  const h = a.timeoutMs / steps;
  let sum = 0;
  for (let i = 0; i <= steps; i++) {
    const f = 1 - cdf(i * h) ** n;
    sum += (i === 0 || i === steps ? 1 : i % 2 === 1 ? 4 : 2) * f;
  }
  return (sum * h) / 3;
}

/** What one prober invocation of these checks is billed. */
export interface InvocationEstimate {
  /** CPU the checks and the handler need, at the memory's share, ms. */
  cpuMs: number;
  /** The slowest target's expected answer, ms. */
  slowestMs: number;
  /** Billed duration: the longer of the two (the checks overlap their waits), plus the Results write, ms. */
  billedMs: number;
  gbSeconds: number;
}

/**
 * One invocation of `kinds.length` checks at `memoryMb`: the checks run concurrently, so it lasts
 * as long as the longer of its CPU work (at the memory's CPU share) and its slowest target, then
 * writes its Results item.
 */
export function proberInvocation(kinds: readonly ProbeKind[], memoryMb: number, remote: boolean, a: ProberAssumptions = DEFAULT_PROBER_ASSUMPTIONS): InvocationEstimate {
  const share = cpuShare(memoryMb);
  const cpuMs = (kinds.reduce((n, k) => n + a.cpuMsPerCheck[k], 0) + a.overheadCpuMs) / share;
  const slowestMs = expectedSlowestMs(kinds.length, a);
  const billedMs = Math.ceil(Math.max(cpuMs, slowestMs) + (remote ? a.resultsWriteRemoteMs : a.resultsWriteHomeMs));
  return { cpuMs, slowestMs, billedMs, gbSeconds: (billedMs / 1000) * (memoryMb / 1024) };
}

/** Bytes one check sends to the internet (IP level). */
export function egressBytes(kind: ProbeKind, a: ProberAssumptions = DEFAULT_PROBER_ASSUMPTIONS): number {
  return a.bytesSentPerCheck[kind] + a.packetsPerCheck[kind] * a.headerBytesPerPacket + (kind === 'tcp' ? 0 : a.hostNameBytes);
}

/** A cold start's billed GB-seconds (its CPU at the memory's share). */
export function coldStartGbSeconds(memoryMb: number, a: ProberAssumptions = DEFAULT_PROBER_ASSUMPTIONS): number {
  return (Math.ceil(a.initCpuMs / cpuShare(memoryMb)) / 1000) * (memoryMb / 1024);
}

/** One point of the sizing curve. */
export interface SizingPoint {
  memoryMb: number;
  checksPerInvocation: number;
  /** CPU the batch queues for at this memory: what a measured latency can be inflated by, ms. */
  cpuQueueMs: number;
  /** Prober duration (incl. cold starts) + the per-invocation costs, USD a month. */
  usd: number;
}

/**
 * What sizing changes, per month: prober duration and the per-invocation costs, for `checksPerSlot`
 * checks every `slotsPerMonth` slots in each region (`remote`: the regions outside the home).
 * Fixed costs and per-check costs (egress, metrics) do not move with sizing and are left out.
 */
export function sizingCurve(
  regions: readonly { checksPerSlot: number; remote: boolean; kind: ProbeKind }[],
  slotsPerMonth: number,
  memories: readonly number[],
  batchSizes: readonly number[],
  perInvocationUsd: (checks: number) => number,
  gbSecondUsd: number,
  a: ProberAssumptions = DEFAULT_PROBER_ASSUMPTIONS,
): SizingPoint[] {
  const points: SizingPoint[] = [];
  for (const n of batchSizes) {
    for (const memoryMb of memories) {
      let usd = 0;
      for (const r of regions) {
        const full = Math.floor(r.checksPerSlot / n);
        const rest = r.checksPerSlot - full * n;
        const batches = [...Array(full).fill(n), ...(rest > 0 ? [rest] : [])] as number[];
        for (const size of batches) {
          const bill = proberInvocation(Array(size).fill(r.kind), memoryMb, r.remote, a);
          usd += slotsPerMonth * (bill.gbSeconds * gbSecondUsd + perInvocationUsd(size));
        }
        usd += batches.length * (730 / a.containerLifetimeHours) * coldStartGbSeconds(memoryMb, a) * gbSecondUsd;
      }
      const largest = Math.min(n, Math.max(...regions.map((r) => r.checksPerSlot)));
      const cpuQueueMs = (largest * a.cpuMsPerCheck[regions[0]?.kind ?? 'https'] + a.overheadCpuMs) / cpuShare(memoryMb);
      points.push({ memoryMb, checksPerInvocation: n, cpuQueueMs, usd });
    }
  }
  return points;
}
