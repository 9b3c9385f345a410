/**
 * `pagerless check`: every probed check once, at most `settings.concurrency` at a time (the
 * prober's own batch verb), then one table in config order and a summary line.
 */
import type { CompiledCheck, CompiledConfig } from '../config/compile.ts';
import { LOCAL_REGION } from '../config/compile.ts';
import { probeBatch, probedChecks } from '../engine/pipeline.ts';
import { systemClock } from '../ports.ts';

export interface CheckRow {
  check: string;
  verdict: 'OK' | 'FAIL' | 'SKIP';
  latency: string;
  reason: string;
}

/**
 * Probe `checks` (a subset of `config.checks`, in the order to print), print the table and the
 * summary through `out`, and return the exit code: 1 when any check failed.
 */
export async function checkOnce(config: CompiledConfig, checks: CompiledCheck[], out: (text: string) => void): Promise<number> {
  const probed = new Set(probedChecks({ ...config, checks }).map((c) => c.id));
  const started = performance.now();
  // No deadline: a one-shot run waits for every check's own timeout and re-tries.
  const { results } = await probeBatch({ config, region: LOCAL_REGION, clock: systemClock }, [...probed], { deadline: Infinity, concurrency: config.settings.concurrency });
  const elapsedMs = performance.now() - started;
  const byId = new Map(results.map((r) => [r.check, r]));
  const rows = checks.map((c): CheckRow => {
    const r = byId.get(c.id);
    if (!r) return { check: c.id, verdict: 'SKIP', latency: '-', reason: `${c.kind} checks are pushed by other tools; run them under \`pagerless run\`` };
    return { check: c.id, verdict: r.ok ? 'OK' : 'FAIL', latency: `${Math.round(r.latencyMs)} ms`, reason: r.reason };
  });
  // The table in one write, not one system call per row.
  out(formatTable(rows).join('\n'));
  const count = (v: CheckRow['verdict']) => rows.filter((r) => r.verdict === v).length;
  const failed = count('FAIL');
  out(`${rows.length} checks: ${count('OK')} ok, ${failed} failed, ${count('SKIP')} skipped (${(elapsedMs / 1000).toFixed(1)} s, at most ${config.settings.concurrency} at once)`);
  return failed > 0 ? 1 : 0;
}

/** The table's lines, header first, columns padded to their widest cell (one pass to measure). */
export function formatTable(rows: readonly Record<keyof CheckRow, string>[]): string[] {
  const all = [{ check: 'CHECK', verdict: 'VERDICT', latency: 'LATENCY', reason: 'REASON' }, ...rows];
  let check = 0;
  let verdict = 0;
  let latency = 0;
  for (const r of all) {
    check = Math.max(check, r.check.length);
    verdict = Math.max(verdict, r.verdict.length);
    latency = Math.max(latency, r.latency.length);
  }
  return all.map((r) => `${r.check.padEnd(check)}  ${r.verdict.padEnd(verdict)}  ${r.latency.padStart(latency)}  ${r.reason}`);
}
