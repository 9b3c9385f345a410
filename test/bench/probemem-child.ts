/**
 * One side of the `probemem` bench, in its own process with a limited heap: `rounds` rounds of
 * `concurrency` simultaneous HTTP probes of a 1 MiB body whose `expect.body` match is at its end.
 *
 *   streaming  the probe of this tree (runRound: the body is matched as it streams, not kept)
 *   unmatched  the same probe of a check without `expect.body` (read and dropped): the floor
 *   buffered   the probe before the change (1 MiB buffered per check, then tested), loaded from
 *              the directory given as the fifth argument
 *
 * Prints one JSON line: peaks sampled every 5 ms, the kernel's peak RSS, and the verdicts.
 */
import { parseConfig } from '../../shared/config/load.ts';
import { runRound } from '../../shared/engine/probe.ts';

const [mode, port, concurrency, rounds, oldProbeDir] = process.argv.slice(2);
const check = parseConfig(`version: 1
services:
  - name: bench
    checks:
      - name: big
        http: { url: "http://127.0.0.1:${port}/mib" }
        timeout: 30s
${mode === 'unmatched' ? '' : '        expect: { body: "END-OF-BODY" }'}
`, 'bench.yaml', {}).checks[0]!;

const ctx = { region: 'local', now: Date.now, lastPing: () => undefined, watchingSince: () => 0 };
type OldProbe = (spec: unknown, timeoutMs: number) => Promise<{ ok: boolean; body?: string }>;
const oldProbe = mode === 'buffered' ? ((await import(`${oldProbeDir}/checks/http-probe.ts`)) as { probeHttp: OldProbe }).probeHttp : undefined;

async function once(): Promise<boolean> {
  if (!oldProbe) return (await runRound(check, ctx)).ok;
  // What runRound and assertions.body did with it: test the pattern on the whole body string.
  const attempt = await oldProbe(check.spec, check.timeoutMs);
  return attempt.ok && attempt.body !== undefined && check.expect.body!.test(attempt.body);
}

const peak = { rss: 0, heapUsed: 0, external: 0 };
const sample = () => {
  const m = process.memoryUsage();
  peak.rss = Math.max(peak.rss, m.rss);
  peak.heapUsed = Math.max(peak.heapUsed, m.heapUsed);
  peak.external = Math.max(peak.external, m.external + m.arrayBuffers);
};
sample();
const before = process.memoryUsage();
const timer = setInterval(sample, 5);
let passed = 0;
let failed = 0;
const t0 = performance.now();
for (let r = 0; r < Number(rounds); r++) {
  const verdicts = await Promise.all(Array.from({ length: Number(concurrency) }, once));
  for (const ok of verdicts) ok ? passed++ : failed++;
}
clearInterval(timer);
sample();
const MB = 1024 * 1024;
console.log(JSON.stringify({
  mode,
  passed,
  failed,
  seconds: (performance.now() - t0) / 1000,
  rssBeforeMB: before.rss / MB,
  heapBeforeMB: before.heapUsed / MB,
  peakRssMB: peak.rss / MB,
  maxRssMB: process.resourceUsage().maxRSS / 1024,
  peakHeapUsedMB: peak.heapUsed / MB,
  peakExternalMB: peak.external / MB,
}));
