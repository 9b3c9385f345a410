/** `pagerless cost`: the simulated hour counts what the pipeline's own code does, priced per month. */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../shared/config/load.ts';
import { estimateCost, formatCost } from '../../shared/cost/simulate.ts';
import { coldStartGbSeconds, cpuShare, DEFAULT_PROBER_ASSUMPTIONS, egressBytes, expectedSlowestMs, IN_FLIGHT_CPU_MS, inFlightFor, MEASURED, proberInvocation, simulateRun } from '../../shared/cost/model.ts';
import { PROBER_SIZING, proberInFlight } from '../../shared/engine/prober-sizing.ts';

function config(services: number, checksPerService: number, interval = '60s', regions = ['us-east-1', 'eu-west-1', 'ap-southeast-2']) {
  const lines = ['version: 1', `settings: { home: us-east-1, regions: [${regions.join(', ')}] }`, `defaults: { interval: ${interval} }`, 'services:'];
  for (let s = 0; s < services; s++) {
    lines.push(`  - name: svc${s}`, '    checks:');
    for (let c = 0; c < checksPerService; c++) lines.push(`      - name: c${c}`, `        http: { url: "https://svc${s}.example.com/health/${c}" }`);
  }
  return parseConfig(lines.join('\n'), 'monitors.yaml', {}, { target: 'aws', secretRefs: 'placeholder' });
}

describe('estimateCost', () => {
  it('1,000 HTTPS endpoints every 60 s from 3 regions: one Results item per prober batch, no state writes, the lines add up', async () => {
    const r = await estimateCost(config(50, 20));
    expect(r.endpoints).toBe(1_000);
    expect(r.hour.results).toBe(1_000 * 3 * 60);
    expect(r.hour.resultsItems).toBe(r.hour.proberInvocations); // ONE item per batch
    expect(r.hour.resultsItems).toBeLessThan(r.hour.results / 50);
    expect(r.hour.stateWrites).toBe(0); // steady state: nothing to write
    expect(r.totalUsd).toBeCloseTo(r.lines.reduce((n, l) => n + l.usd, 0), 10);
    expect(r.perEndpointUsd).toBeCloseTo(r.totalUsd / 1_000, 10);
    const line = (prefix: string) => r.lines.find((l) => l.item.startsWith(prefix))!;
    // By hand: 1,000 x 3 x 60 x 730 = 131,400,000 checks a month, each 1.66 ms of CPU: at any memory
    // up to one vCPU that is 1.66 ms x 1,769/1,024 GB = 376,814 GB-s at least, whatever the waits.
    expect(line('Lambda duration, probers').quantity).toBeGreaterThan(376_814);
    // 131,400,000 x 1,156 B (596 + 10 x 52 + 40) / 2^30 = 141.47 GB at $0.09.
    expect(line('Data transfer out to the internet').quantity).toBeCloseTo(141.47, 1);
    expect(line('Data transfer out to the internet').usd).toBeCloseTo(12.73, 2);
    expect(line('CloudWatch dashboard').usd).toBe(3);
    expect(r.totalUsd).toBeGreaterThan(30);
    expect(r.totalUsd).toBeLessThan(60);
    expect(formatCost(r)).toMatch(/Per endpoint per month\s+\$0\.0\d{3}/);
    // Every assumption is printed, the measured ones with where they come from.
    expect(formatCost(r)).toContain('HTTPS 1.66 ms, HTTP 0.34 ms, TCP 0.07 ms of one vCPU (measured: BENCH_ONLY=costinputs npm run bench)');
    expect(formatCost(r)).toContain('an invocation runs 15 checks at a time');
    expect(formatCost(r)).toContain('lognormal, median 120 ms, sigma 0.7 (p95 380 ms, p99 611 ms)');
    expect(formatCost(r)).toContain('$0.09/GB, the rate after the free tier');
    expect(formatCost(r)).toMatch(/Prober sizing:[\s\S]+checks\/invocation\s+128 MB\s+256 MB\s+512 MB\s+1024 MB\s+1769 MB/);
  }, 120_000);

  it('prices the sizing infra deploys: the prober memory and checks per message from one constant', async () => {
    const r = await estimateCost(config(2, 5, '60s', ['us-east-1']));
    expect(r.assumptions.memoryMb).toBe(PROBER_SIZING.memoryMb);
    expect(r.assumptions.checksPerMessage).toBe(PROBER_SIZING.checksPerMessage);
    expect(r.lines.find((l) => l.item.startsWith('Lambda duration, probers'))!.item).toContain(`${PROBER_SIZING.memoryMb} MB`);
  });

  it('counts egress, PITR on the state table only, and each Secrets Manager secret', async () => {
    const lines = ['version: 1', 'settings: { home: us-east-1, regions: [us-east-1], statusToken: "${secret:pl/status}" }', 'defaults: { interval: 60s }', 'services:', '  - name: web', '    checks:'];
    for (let c = 0; c < 10; c++) lines.push(`      - name: c${c}`, `        http: { url: "https://web.example.com/${c}", headers: { X-Key: "\${secret:pl/key}" } }`);
    const r = await estimateCost(parseConfig(lines.join('\n'), 'monitors.yaml', {}, { target: 'aws', secretRefs: 'placeholder' }));
    const line = (prefix: string) => r.lines.find((l) => l.item.startsWith(prefix))!;
    // 10 x 60 x 730 = 438,000 checks x 1,156 B / 2^30 = 0.47155 GB.
    expect(line('Data transfer out to the internet').quantity).toBeCloseTo(0.47155, 4);
    expect(line('Secrets Manager').quantity).toBe(2);
    // 2 x $0.40, and one call per secret per cold start: (1 prober + scheduler + evaluator) x 730 h / 2 h = 1,095 cold starts -> 2,190 x $0.05 / 10,000
    expect(line('Secrets Manager').usd).toBeCloseTo(0.8 + 0.01095, 6);
    expect(line('DynamoDB storage, Results').item).toContain('no PITR');
    expect(line('DynamoDB storage, state table').item).toContain('PITR');
  });

  it('scales with what drives it: twice the checks costs more, a 5-minute interval costs less', async () => {
    const base = await estimateCost(config(10, 10));
    const double = await estimateCost(config(20, 10));
    const slow = await estimateCost(config(10, 10, '5m'));
    const item = (r: typeof base, prefix: string) => r.lines.find((l) => l.item.startsWith(prefix))!.quantity;
    expect(double.hour.results).toBe(2 * base.hour.results);
    expect(item(double, 'DynamoDB reads')).toBeGreaterThan(item(base, 'DynamoDB reads'));
    expect(item(double, 'DynamoDB writes')).toBeGreaterThanOrEqual(item(base, 'DynamoDB writes'));
    expect(slow.hour.results).toBe(base.hour.results / 5);
    expect(slow.totalUsd).toBeLessThan(base.totalUsd);
  });

  it('a single region has no cross-region transfer', async () => {
    const r = await estimateCost(config(2, 5, '60s', ['us-east-1']));
    expect(r.lines.find((l) => l.item.startsWith('Data transfer, prober regions'))!.quantity).toBe(0);
  });
});

describe('the prober cost model, against figures worked by hand', () => {
  const exact = { latencyMedianMs: 120, latencySigma: 0.7, hangShare: 0, timeoutMs: 5_000 };

  it('CPU comes with memory: 1,769 MB is one vCPU, and one thread never gets more', () => {
    expect(cpuShare(1769)).toBe(1);
    expect(cpuShare(512)).toBeCloseTo(0.289429, 6); // 512 / 1769
    expect(cpuShare(4096)).toBe(1);
  });

  it('the slowest of one check is the lognormal mean; of two, 2 x mean x Phi(sigma / sqrt 2)', () => {
    // mean = 120 x e^(0.7^2 / 2) = 120 x e^0.245 = 153.31 ms
    expect(expectedSlowestMs(1, exact)).toBeCloseTo(153.31, 1);
    // E[max of 2] = E[X] + E|X1 - X2| / 2, and for a lognormal E|X1 - X2| = 2 E[X] (2 Phi(sigma/sqrt2) - 1):
    // 2 x 153.31 x Phi(0.49497) = 2 x 153.31 x 0.68969 = 211.48 ms
    expect(expectedSlowestMs(2, exact)).toBeCloseTo(211.48, 1);
    expect(expectedSlowestMs(0, exact)).toBe(0);
  });

  it('a batch waits for a hanging target: 100 checks, 1% hang for 10 s -> 10 s x (1 - 0.99^100) = 6,340 ms', () => {
    const fast = { latencyMedianMs: 1, latencySigma: 0.1, hangShare: 0.01, timeoutMs: 10_000 };
    expect(expectedSlowestMs(100, fast)).toBeGreaterThan(6_339.7);
    expect(expectedSlowestMs(100, fast)).toBeLessThan(6_341);
  });

  it('bills an invocation for running its checks on the memory\'s CPU share, plus its own CPU and the Results write', () => {
    const a = { ...DEFAULT_PROBER_ASSUMPTIONS, latencyMedianMs: 1, latencySigma: 0.1, hangShare: 0 };
    // Targets answer in ~1 ms, so the thread is the bottleneck: 100 x 1.66 ms / (512 / 1769) = 573.5 ms of
    // checks, + 15 / 0.28943 = 51.8 ms of handler, + 150 ms write from a remote region -> ~776 ms.
    const bill = proberInvocation(Array(100).fill('https'), 512, true, a);
    expect(bill.cpuMs).toBeCloseTo(573.54 + 51.83, 1);
    expect(bill.runMs).toBeGreaterThan(573.5);
    expect(bill.runMs).toBeLessThan(573.5 + 5); // the first answers' ~1 ms, nothing else
    expect(bill.billedMs).toBe(Math.ceil(bill.runMs + 51.83 + 150));
    expect(bill.gbSeconds).toBeCloseTo((bill.billedMs / 1000) * 0.5, 9);
  });

  it('runs checks as the prober does: one at a time is their latencies end to end; all at once waits for the slowest', () => {
    // Exact latencies of 100 ms, no CPU: one worker takes 10 x 100 ms, ten workers 100 ms.
    const flat = { latencyMedianMs: 100, latencySigma: 0, hangShare: 0, timeoutMs: 5_000 };
    expect(simulateRun(Array(10).fill(0), 1, flat).runMs).toBeCloseTo(1_000, 6);
    expect(simulateRun(Array(10).fill(0), 10, flat).runMs).toBeCloseTo(100, 6);
    // Ten answers at once, 10 ms of CPU each, one thread: the last waits 90 ms, the run lasts 200 ms.
    const r = simulateRun(Array(10).fill(10), 10, flat);
    expect(r.runMs).toBeCloseTo(200, 6);
    expect(r.inflationP95Ms).toBeCloseTo(90, 6);
    // Lognormal answers, no CPU, all at once: the run is the expected slowest (as integrated above).
    const all = simulateRun(Array(50).fill(0), 50, exact, 2_000);
    expect(all.runMs / expectedSlowestMs(50, exact)).toBeGreaterThan(0.97);
    expect(all.runMs / expectedSlowestMs(50, exact)).toBeLessThan(1.03);
  });

  it('keeps the queue for the thread short: checks in flight follow the CPU share, so latencies stay honest', () => {
    expect(IN_FLIGHT_CPU_MS).toBe(180);
    // floor(180 ms x share / 1.66 ms): 256 MB -> 15, 512 MB -> 31, 1769 MB -> 108; never fewer than 2.
    expect(inFlightFor(256)).toBe(15);
    expect(inFlightFor(512)).toBe(31);
    expect(inFlightFor(1769)).toBe(108);
    expect(inFlightFor(16)).toBe(2);
    // At the default size, capped in flight, a check's latency grows ~50 ms at p95; all 400 at once: seconds.
    const capped = proberInvocation(Array(400).fill('https'), PROBER_SIZING.memoryMb, false);
    const all = proberInvocation(Array(400).fill('https'), PROBER_SIZING.memoryMb, false, DEFAULT_PROBER_ASSUMPTIONS, 400);
    expect(capped.inflationP95Ms).toBeLessThan(80);
    expect(all.inflationP95Ms).toBeGreaterThan(1_000);
  });

  it('the prober takes its checks in flight from the memory Lambda gave it, shared by the batch\'s messages', () => {
    expect(proberInFlight({}, 1)).toBe(inFlightFor(PROBER_SIZING.memoryMb));
    expect(proberInFlight({ AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '1769' }, 1)).toBe(108);
    expect(proberInFlight({ AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '1769' }, 4)).toBe(27);
    expect(proberInFlight({ AWS_LAMBDA_FUNCTION_MEMORY_SIZE: 'junk' }, 1)).toBe(inFlightFor(PROBER_SIZING.memoryMb));
    expect(proberInFlight({ AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '128' }, 10)).toBe(1);
  });

  it('egress per check: measured payload + packets x 52 B of headers + a host name', () => {
    expect(MEASURED.bytesSentPerCheck.https).toBe(596);
    expect(egressBytes('https')).toBe(596 + 10 * 52 + 40);
    expect(egressBytes('http')).toBe(129 + 7 * 52 + 40);
    expect(egressBytes('tcp')).toBe(4 * 52);
  });

  it('a cold start bills its CPU at the memory share: ceil(250 / 0.28943) = 864 ms x 0.5 GB', () => {
    expect(coldStartGbSeconds(512)).toBeCloseTo(0.432, 6);
  });
});
