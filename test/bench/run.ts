/**
 * `npm run bench`: figures and ratios measured in one run against baselines on the same machine.
 * Not a test: nothing here passes or fails; it prints what it measured.
 *
 *   prober   HTTP checks/s (fresh connection each, concurrency 50) vs raw undici fresh-connection GETs
 *   reducer  results evaluated per second
 *   engine   `pagerless run` with 2,000 checks every 30 s: CPU % of one core, /api/checks latency
 *   bundle   each Lambda bundled as `cdk deploy` bundles it (esbuild, minified, AWS SDK external):
 *            size, and cold init (a fresh `node` importing it) against a bare `node` start
 *   writes   DynamoDB writes per 1,000 results in the steady state (every check up), from `pagerless cost`
 *
 * BENCH_ONLY=prober,reducer,engine,bundle,writes picks sections; BENCH_ENGINE_SECONDS shortens the engine run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { request as httpRequest } from 'node:http';
import { Agent, request } from 'undici';
import { parseConfig } from '../../shared/config/load.ts';
import { runRound } from '../../shared/engine/probe.ts';
import { evaluate, type CheckPolicy } from '../../shared/engine/reducer.ts';
import type { CheckState, ProbeResult } from '../../shared/types.ts';
import { freePort, tempDir } from '../e2e/harness.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const only = new Set((process.env.BENCH_ONLY ?? 'prober,reducer,engine,bundle,writes').split(','));
const figures: Record<string, string> = {};

function startTarget(): Promise<{ port: number; child: ChildProcess }> {
  const child = spawn(process.execPath, [join(ROOT, 'test/bench/target.mjs'), '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((res) => child.stdout!.once('data', (d: Buffer) => res({ port: Number(d.toString().trim()), child })));
}

async function pool(total: number, concurrency: number, job: () => Promise<boolean>): Promise<{ perSecond: number; failures: number }> {
  let started = 0;
  let failures = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (started < total) {
      started++;
      if (!(await job())) failures++;
    }
  }));
  return { perSecond: total / ((performance.now() - t0) / 1000), failures };
}

async function benchProber(): Promise<void> {
  const { port, child } = await startTarget();
  const url = `http://127.0.0.1:${port}/health`;
  const total = Number(process.env.BENCH_PROBER_REQUESTS ?? 5_000);
  const config = parseConfig(`version: 1
services:
  - name: bench
    checks:
      - name: target
        http: { url: "${url}" }
        expect: { status: 2xx, body: healthy }
`, 'bench.yaml', {});
  const check = config.checks[0]!;
  const ctx = { region: 'local', now: Date.now, lastPing: () => undefined, watchingSince: () => 0 };
  // Baseline: undici's own request() with `reset: true`, i.e. a new connection for every GET.
  const agent = new Agent({ pipelining: 0, connections: 100 });
  const raw = async () => {
    const res = await request(url, { dispatcher: agent, reset: true });
    await res.body.text();
    return res.statusCode === 200;
  };
  const ours = async () => (await runRound(check, ctx)).ok;
  // A second baseline: node:http with a fresh connection per request (what the prober is built on).
  const nodeHttp = () => new Promise<boolean>((resolve) => {
    const req = httpRequest(url, { agent: false }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode === 200));
    });
    req.once('error', () => resolve(false));
    req.end();
  });
  await pool(1_000, 50, raw); // warm-up both paths
  await pool(1_000, 50, ours);
  const rounds: { raw: number; ours: number; node: number }[] = [];
  // Pairs in alternating order (AB, BA, ...), so drift in machine load hits both sides alike.
  for (let i = 0; i < 6; i++) {
    const first = i % 2 === 0 ? raw : ours;
    const x = await pool(total, 50, first);
    const y = await pool(total, 50, first === raw ? ours : raw);
    const [a, b] = first === raw ? [x, y] : [y, x];
    if (a.failures || b.failures) console.log(`  (failures: raw ${a.failures}, pagerless ${b.failures})`);
    rounds.push({ raw: a.perSecond, ours: b.perSecond, node: (await pool(total, 50, nodeHttp)).perSecond });
  }
  await agent.close();
  child.kill('SIGTERM');
  const median = (xs: number[]) => xs.sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
  const rawRate = median(rounds.map((r) => r.raw));
  const ourRate = median(rounds.map((r) => r.ours));
  const ratio = median(rounds.map((r) => r.ours / r.raw));
  const nodeRatio = median(rounds.map((r) => r.ours / r.node));
  console.log(`prober: ${total} GETs per run, 6 runs each, concurrency 50, fresh connection each, loopback target in its own process`);
  for (const [i, r] of rounds.entries()) console.log(`  run ${i + 1}: raw undici ${r.raw.toFixed(0)}/s, raw node:http ${r.node.toFixed(0)}/s, pagerless checks ${r.ours.toFixed(0)}/s, ratio to undici ${(r.ours / r.raw).toFixed(2)}`);
  figures['prober checks/s (median)'] = ourRate.toFixed(0);
  figures['raw undici fresh-connection GETs/s (median)'] = rawRate.toFixed(0);
  figures['prober ratio to raw undici, median of paired runs (target >= 0.9)'] = ratio.toFixed(2);
  figures['prober ratio to raw node:http fresh-connection GETs (its own floor)'] = nodeRatio.toFixed(2);
}

function benchReducer(): void {
  const regions = ['us-east-1', 'eu-west-1', 'ap-southeast-2'];
  const policy: CheckPolicy = {
    check: 'svc/api', service: 'svc', group: null, severity: 'critical', regions,
    failures: 2, recoveries: 1, quorum: 2,
    channels: [{ id: 'hook' }], reactions: [{ id: 'restart', after: 3, cooldownMs: 300_000 }],
  };
  // A realistic mix: mostly up, with an outage of 20 rounds every 1,000 rounds.
  const n = 1_000_000;
  // Every result is new (its `at` grows), as in production: the reducer drops re-deliveries.
  const result = (i: number): ProbeResult => {
    const down = i % 1_000 >= 500 && i % 1_000 < 520;
    return { check: 'svc/api', region: regions[i % 3]!, at: 1_700_000_000_000 + i * 20_000, ok: !down, latencyMs: 42, reason: down ? 'status 500 does not match 2xx' : 'status 200' };
  };
  const results = Array.from({ length: n }, (_, i) => result(i));
  let state: CheckState | undefined;
  let effects = 0;
  let writes = 0;
  for (let i = 0; i < 100_000; i++) state = evaluate(state, results[i]!, policy).state; // warm-up
  state = undefined;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const t = evaluate(state, results[i]!, policy);
    if (t.changed) writes++;
    effects += t.effects.length;
    state = t.state;
  }
  const perSecond = n / ((performance.now() - t0) / 1000);
  console.log(`reducer: ${n} results (3 regions, 2% failing), ${effects} effects, state changed on ${(100 * writes / n).toFixed(1)}% of results`);
  figures['reducer results/s (target >= 100,000)'] = perSecond.toFixed(0);
  figures['reducer state writes per 1,000 results'] = (1000 * writes / n).toFixed(1);
}

async function benchEngine(): Promise<void> {
  const seconds = Number(process.env.BENCH_ENGINE_SECONDS ?? 120);
  const checks = 2_000;
  const { port: targetPort, child: target } = await startTarget();
  const dir = tempDir('pagerless-bench-');
  const lines = ['version: 1', 'defaults: { interval: 30s, timeout: 5s }', 'channels:', '  out: { type: console }', 'services:'];
  for (let s = 0; s < checks / 20; s++) {
    lines.push(`  - name: svc${s}`, '    alert: [out]', '    checks:');
    for (let c = 0; c < 20; c++) lines.push(`      - name: c${c}`, `        http: { url: "http://127.0.0.1:${targetPort}/s${s}/c${c}" }`, '        expect: { body: healthy }');
  }
  const configFile = join(dir, 'monitors.yaml');
  writeFileSync(configFile, `${lines.join('\n')}\n`);
  const port = await freePort();
  const engine = spawn(process.execPath, [join(ROOT, 'bin/pagerless.js'), 'run', '-c', configFile, '--port', String(port), '--data', join(dir, 'data')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  engine.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const api = `http://127.0.0.1:${port}/api/checks`;
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(api)).ok) break;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  // Skip the first round's start-up, then measure CPU over the window from /proc (user + system ticks).
  await new Promise((r) => setTimeout(r, 5_000));
  const ticks = () => {
    const f = readFileSync(`/proc/${engine.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return Number(f[11]) + Number(f[12]);
  };
  const hz = 100;
  const c0 = ticks();
  const t0 = Date.now();
  const latencies: number[] = [];
  let up = 0;
  while (Date.now() - t0 < seconds * 1000) {
    const s = performance.now();
    const res = await fetch(api);
    const body = (await res.json()) as { checks: { state: string }[] };
    latencies.push(performance.now() - s);
    up = body.checks.filter((c) => c.state === 'up').length;
    await new Promise((r) => setTimeout(r, 2_000));
  }
  const cpu = ((ticks() - c0) / hz) / ((Date.now() - t0) / 1000);
  engine.kill('SIGTERM');
  target.kill('SIGTERM');
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!.toFixed(1);
  console.log(`engine: ${checks} http checks every 30 s for ${seconds} s (${Math.round(checks / 30)} checks/s); ${up} up at the end; ${latencies.length} /api/checks samples`);
  if (/ERROR|skipping rounds/.test(stderr)) console.log(`  engine log had errors or skipped rounds:\n${stderr.split('\n').filter((l) => /ERROR|skipping/.test(l)).slice(0, 5).join('\n')}`);
  figures['engine CPU, % of one core (target < 20%)'] = (cpu * 100).toFixed(1);
  figures['/api/checks latency p50 / p95 / max, ms (target < 200)'] = `${pct(0.5)} / ${pct(0.95)} / ${latencies.at(-1)!.toFixed(1)}`;
}

async function benchBundles(): Promise<void> {
  const { build } = await import('esbuild');
  const { execFileSync } = await import('node:child_process');
  const { statSync, writeFileSync: write } = await import('node:fs');
  // Inside the project, so the AWS SDK (external, as the Lambda runtime provides it) resolves from node_modules.
  const { mkdtempSync, rmSync } = await import('node:fs');
  const dir = mkdtempSync(join(ROOT, 'node_modules', '.pagerless-bundle-'));
  const { serializeCompiled } = await import('../../shared/config/compiled-json.ts');
  write(join(dir, 'monitors.json'), serializeCompiled(parseConfig(readFileSync(join(ROOT, 'examples/monitors.yaml'), 'utf8'), 'monitors.yaml', {}, { target: 'aws', secretRefs: 'placeholder' })));
  const timeImport = (file: string) => {
    const runs: number[] = [];
    for (let i = 0; i < 7; i++) {
      const out = execFileSync(process.execPath, ['-e', `const t=performance.now();import(${JSON.stringify(file)}).then(()=>console.log(performance.now()-t))`], { cwd: dir, env: { ...process.env, LAMBDA_TASK_ROOT: dir } });
      runs.push(Number(out.toString().trim()));
    }
    return runs.sort((a, b) => a - b)[3]!;
  };
  for (const name of ['prober', 'scheduler', 'evaluator', 'ingest', 'status']) {
    const outfile = join(dir, `${name}.mjs`);
    await build({
      entryPoints: [join(ROOT, 'functions', `${name}.ts`)], bundle: true, minify: true, platform: 'node', target: 'node22', format: 'esm', outfile,
      external: ['@aws-sdk/*'], banner: { js: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);" }, logLevel: 'error',
    });
    const kb = statSync(outfile).size / 1024;
    const init = timeImport(outfile);
    console.log(`bundle ${name}: ${kb.toFixed(0)} KB minified, import ${init.toFixed(0)} ms (median of 7 fresh node processes)`);
    if (name === 'prober') {
      figures['prober bundle, KB minified (target <= 250)'] = kb.toFixed(0);
      figures['prober cold init: import in a fresh node, ms (target <= 150)'] = init.toFixed(0);
    }
  }
  rmSync(dir, { recursive: true, force: true });
}

async function benchWrites(): Promise<void> {
  const { estimateCost } = await import('../../shared/cost/simulate.ts');
  const lines = ['version: 1', 'settings: { home: us-east-1, regions: [us-east-1, eu-west-1, ap-southeast-2] }', 'defaults: { interval: 60s }', 'services:'];
  for (let s = 0; s < 50; s++) {
    lines.push(`  - name: svc${s}`, '    checks:');
    for (let c = 0; c < 20; c++) lines.push(`      - name: c${c}`, `        http: { url: "https://svc${s}.example.com/${c}" }`);
  }
  const r = await estimateCost(parseConfig(lines.join('\n'), 'bench.yaml', {}, { target: 'aws' }));
  console.log(`writes: 1,000 endpoints x 3 regions for a simulated hour: ${r.hour.results} results in ${r.hour.resultsItems} items, ${r.hour.stateWrites} state writes`);
  figures['DynamoDB items written per 1,000 results, steady state (target: one per prober batch)'] = (1000 * r.hour.resultsItems / r.hour.results).toFixed(2);
  figures['state writes per 1,000 results, steady state (target 0)'] = (1000 * r.hour.stateWrites / r.hour.results).toFixed(2);
  figures['pagerless cost: 1,000 HTTPS endpoints, 60 s, 3 regions, $/month (target <= 15)'] = r.totalUsd.toFixed(2);
}

if (only.has('reducer')) benchReducer();
if (only.has('writes')) await benchWrites();
if (only.has('bundle')) await benchBundles();
if (only.has('prober')) await benchProber();
if (only.has('engine')) await benchEngine();
console.log('\nFigures (this machine, this run):');
const width = Math.max(...Object.keys(figures).map((k) => k.length));
for (const [k, v] of Object.entries(figures)) console.log(`  ${k.padEnd(width)}  ${v}`);
process.exit(0);
