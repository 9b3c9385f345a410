/**
 * The prober's side of `pagerless cost`, as pure arithmetic: what one invocation of N checks is
 * billed (CPU at the memory's share, the wait for the slowest target, the Results write), what
 * the checks send to the internet, and cold starts. Every input is a named assumption that
 * formatCost prints; the measured ones come from the bench.
 */

/**
 * Measured per check on a loopback target through the real probe code (runRound), by
 * `BENCH_ONLY=costinputs npm run bench` (test/bench/run.ts, section `costinputs`), 2026-12-02, on
 * the 2-core x86 build machine, idle (median of 5 runs of 2,000; the HTTPS runs spread 1.39–1.87
 * ms; a reviewer saw 1.5–2.1 ms; the same bench on a loaded machine gave 3.37 ms). The check ran
 * with `insecure: true` against a one-certificate P-256 chain, so a real chain's verification is
 * not in it; Lambda's arm64 cores are assumed as fast per thread. Bytes are the TCP payload the
 * client sends (TLS records included), against 127.0.0.1: no SNI, a short Host header.
 */
export const MEASURED = {
  cpuMsPerCheck: { http: 0.34, https: 1.66, tcp: 0.07 },
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
  /** The slowest target's expected answer, ms (all checks at once, no CPU: a lower bound). */
  slowestMs: number;
  /** Expected time to run every check with `inFlight` at a time on the memory's CPU share, ms. */
  runMs: number;
  /** p95 of the time a check's CPU work waits for the others': what its measured latency grows by, ms. */
  inflationP95Ms: number;
  /** Billed duration: the run, the handler's own CPU and the Results write, ms. */
  billedMs: number;
  gbSeconds: number;
}

/** A seeded generator (LCG), so every estimate is the same on every run. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

/**
 * Runs an invocation's checks as the prober does (probeBatch: `inFlight` workers take checks in
 * order) on one thread at the memory's CPU share, `trials` times with seeded random latencies.
 * Each check waits for the network (lognormal, or a hang until the timeout), then needs `workMs[i]`
 * of the thread (its handshake and parsing; one FIFO CPU); its worker then takes the next check.
 * Returns the expected duration and the p95 of the CPU wait over all checks of all trials.
 */
export function simulateRun(
  workMs: readonly number[],
  inFlight: number,
  a: Pick<ProberAssumptions, 'latencyMedianMs' | 'latencySigma' | 'hangShare' | 'timeoutMs'>,
  trials = 40,
): { runMs: number; inflationP95Ms: number } {
  const n = workMs.length;
  if (n === 0) return { runMs: 0, inflationP95Ms: 0 };
  const random = lcg(0x9e3779b9 ^ n);
  const waits: number[] = [];
  const latency = () => {
    if (random() < a.hangShare) return a.timeoutMs;
    const z = Math.sqrt(-2 * Math.log(Math.max(1e-12, random()))) * Math.cos(2 * Math.PI * random());
    return Math.min(a.timeoutMs, a.latencyMedianMs * Math.exp(a.latencySigma * z));
  };
  let total = 0;
  for (let t = 0; t < trials; t++) {
    // Network answers not yet served by the CPU, as [time, check], kept sorted by time (a few dozen at most).
    const pending: [number, number][] = [];
    const start = (check: number, at: number) => {
      const entry: [number, number] = [at + latency(), check];
      let i = pending.length;
      while (i > 0 && pending[i - 1]![0] > entry[0]) i--;
      pending.splice(i, 0, entry);
    };
    let next = 0;
    for (; next < Math.min(inFlight, n); next++) start(next, 0);
    let cpuFree = 0;
    while (pending.length > 0) {
      const [at, check] = pending.shift()!;
      const begin = Math.max(cpuFree, at);
      waits.push(begin - at);
      cpuFree = begin + workMs[check]!;
      if (next < n) start(next++, cpuFree);
    }
    total += cpuFree;
  }
  waits.sort((x, y) => x - y);
  return { runMs: total / trials, inflationP95Ms: waits[Math.min(waits.length - 1, Math.floor(waits.length * 0.95))]! };
}

/**
 * One invocation of `kinds.length` checks at `memoryMb`, `inFlight` at a time (the prober's
 * inFlightFor(memoryMb)): it lasts as long as running them on the memory's CPU share takes, then
 * writes its Results item.
 */
export function proberInvocation(kinds: readonly ProbeKind[], memoryMb: number, remote: boolean, a: ProberAssumptions = DEFAULT_PROBER_ASSUMPTIONS, inFlight = inFlightFor(memoryMb, a.cpuMsPerCheck.https)): InvocationEstimate {
  const share = cpuShare(memoryMb);
  const work = kinds.map((k) => a.cpuMsPerCheck[k] / share);
  const cpuMs = work.reduce((n, w) => n + w, 0) + a.overheadCpuMs / share;
  const slowestMs = expectedSlowestMs(kinds.length, a);
  const { runMs, inflationP95Ms } = simulateRun(work, inFlight, a);
  const billedMs = Math.ceil(runMs + a.overheadCpuMs / share + (remote ? a.resultsWriteRemoteMs : a.resultsWriteHomeMs));
  return { cpuMs, slowestMs, runMs, inflationP95Ms, billedMs, gbSeconds: (billedMs / 1000) * (memoryMb / 1024) };
}

/**
 * How much of the thread's time the checks in flight may need at once, ms: the prober runs
 * `IN_FLIGHT_CPU_MS x share / cpu per HTTPS check` checks at a time. At 180 ms a check's measured
 * latency grows by ~60 ms at p95 (simulateRun, at any memory), where starting 100 at once on 512 MB
 * added ~270 ms.
 */
export const IN_FLIGHT_CPU_MS = 180;

/** Checks a prober of `memoryMb` runs at a time (at least 2, at most 200 sockets). */
export function inFlightFor(memoryMb: number, httpsCpuMs: number = MEASURED.cpuMsPerCheck.https): number {
  return Math.max(2, Math.min(200, Math.floor((IN_FLIGHT_CPU_MS * cpuShare(memoryMb)) / httpsCpuMs)));
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
  /** Checks in flight at this memory (inFlightFor). */
  inFlight: number;
  /** p95 of what a check's measured latency grows by while it waits for the thread, ms. */
  inflationP95Ms: number;
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
  // A run is simulated once per size: a region's full batches all cost the same.
  const bills = new Map<string, InvocationEstimate>();
  for (const n of batchSizes) {
    for (const memoryMb of memories) {
      let usd = 0;
      for (const r of regions) {
        const full = Math.floor(r.checksPerSlot / n);
        const rest = r.checksPerSlot - full * n;
        const batches = [...Array(full).fill(n), ...(rest > 0 ? [rest] : [])] as number[];
        for (const size of batches) {
          const key = `${memoryMb}:${size}:${r.kind}:${r.remote}`;
          let bill = bills.get(key);
          if (!bill) bills.set(key, (bill = proberInvocation(Array(size).fill(r.kind), memoryMb, r.remote, a)));
          usd += slotsPerMonth * (bill.gbSeconds * gbSecondUsd + perInvocationUsd(size));
        }
        usd += batches.length * (730 / a.containerLifetimeHours) * coldStartGbSeconds(memoryMb, a) * gbSecondUsd;
      }
      const largest = Math.min(n, Math.max(...regions.map((r) => r.checksPerSlot)));
      const inFlight = inFlightFor(memoryMb, a.cpuMsPerCheck.https);
      const { inflationP95Ms } = proberInvocation(Array(largest).fill(regions[0]?.kind ?? 'https'), memoryMb, false, a, inFlight);
      points.push({ memoryMb, checksPerInvocation: n, inFlight, inflationP95Ms, usd });
    }
  }
  return points;
}
