/**
 * `npm run bench`: figures and ratios measured in one run against baselines on the same machine.
 * Not a test: nothing here passes or fails; it prints what it measured.
 *
 *   prober   HTTP checks/s (fresh connection each, concurrency 50) vs raw undici fresh-connection GETs
 *   check    `pagerless check` (the compiled CLI) over 10,000 HTTP checks vs raw node:http
 *            fresh-connection GETs at the same concurrency, against a loopback target
 *   startup  the CLI's wall time for --version, validate (example config) and schema, against `node -e 0`
 *   validate `pagerless validate` of a 10,000-check config vs the YAML library parsing it with positions
 *   reducer  results evaluated per second
 *   engine   `pagerless run` with 10,000 HTTP checks every 60 s: CPU % of one core, /api/checks latency
 *   bundle   each Lambda bundled as `cdk deploy` bundles it (esbuild, minified, AWS SDK external):
 *            size, and cold init (a fresh `node` importing it) against a bare `node` start
 *   writes   DynamoDB writes per 1,000 results in the steady state (every check up), from `pagerless cost`
 *   probemem memory of 200 concurrent probes of 1 MiB bodies matched by `expect.body`, in a child
 *            with the heap of a 256 MB Lambda, vs the probe before streaming matching (1 MiB
 *            buffered per check) and the same probe with no pattern, all in this run. Not in the
 *            default set: BENCH_ONLY=probemem
 *
 *   costinputs  client CPU (process.cpuUsage) and bytes sent (TLS records included) per HTTP, HTTPS
 *            and TCP check through runRound, against loopback targets in their own process: the
 *            measured inputs of the cost model (shared/cost/model.ts MEASURED)
 *
 * BENCH_ONLY=prober,check,startup,validate,reducer,engine,bundle,writes,probemem,costinputs picks sections (costinputs
 * runs only when named); BENCH_COSTINPUTS_ROUNDS sizes it;
 * BENCH_ENGINE_SECONDS shortens the engine run; BENCH_CHECKS and BENCH_CONCURRENCY size `check`.
 * Sections that run the CLI build dist/ first (bin/build.mjs).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { request as httpRequest } from 'node:http';
import { Agent, request } from 'undici';
import { LineCounter, parseDocument } from 'yaml';
import { parseConfig } from '../../shared/config/load.ts';
import { runRound } from '../../shared/engine/probe.ts';
import { evaluate, type CheckPolicy } from '../../shared/engine/reducer.ts';
import type { CheckState, ProbeResult } from '../../shared/types.ts';
import { freePort, tempDir } from '../e2e/harness.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'bin/pagerless.js');
const only = new Set((process.env.BENCH_ONLY ?? 'prober,check,startup,validate,reducer,engine,bundle,writes,claims').split(','));
const figures: Record<string, string> = {};
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;

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

/** A config of `n` HTTP checks (20 per service) against `url`/sN/cM, one YAML line per key as people write them. */
function manyChecks(n: number, url: string, settings = ''): string {
  const lines = ['version: 1', ...(settings ? [`settings: { ${settings} }`] : []), 'defaults: { interval: 60s, timeout: 5s }', 'channels:', '  out: { type: console }', 'services:'];
  for (let s = 0; s < n / 20; s++) {
    lines.push(`  - name: svc${s}`, '    alert: [out]', '    checks:');
    for (let c = 0; c < 20; c++) lines.push(`      - name: c${c}`, `        http: { url: "${url}/s${s}/c${c}" }`, '        expect: { body: healthy }');
  }
  return `${lines.join('\n')}\n`;
}

/** Run the CLI to completion; wall time from spawn to exit, stdout and stderr collected. */
function runCli(args: string[]): Promise<{ ms: number; code: number; stdout: string; stderr: string }> {
  return new Promise((res, rej) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (d: Buffer) => out.push(d));
    child.stderr!.on('data', (d: Buffer) => err.push(d));
    child.once('error', rej);
    child.once('close', (code) => res({ ms: performance.now() - t0, code: code ?? -1, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }));
  });
}

/** node:http with a fresh connection per request: what the prober is built on, and the floor `check` is held to. */
function nodeHttpGet(url: string): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const req = httpRequest(url, { agent: false }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode === 200));
    });
    req.once('error', () => resolve(false));
    req.end();
  });
}

/** The same GETs as `nodeHttpGet`, in a fresh node process (cold, like the CLI); it prints its own seconds. */
const RAW_PROCESS = `import { request } from 'node:http';
const [url, n, concurrency] = process.argv.slice(1);
let next = 0;
let failed = 0;
const get = (i) => new Promise((resolve) => {
  const req = request(url + '/s' + Math.floor(i / 20) + '/c' + (i % 20), { agent: false }, (res) => {
    res.resume();
    res.once('end', () => resolve(res.statusCode === 200));
  });
  req.once('error', () => resolve(false));
  req.end();
});
const t0 = performance.now();
await Promise.all(Array.from({ length: Number(concurrency) }, async () => {
  while (next < Number(n)) if (!(await get(next++))) failed++;
}));
console.log((performance.now() - t0) / 1000, failed);`;

async function benchCheck(): Promise<void> {
  const n = Number(process.env.BENCH_CHECKS ?? 10_000);
  const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 100);
  const { port, child } = await startTarget();
  const url = `http://127.0.0.1:${port}`;
  const file = join(tempDir('pagerless-bench-'), 'monitors.yaml');
  writeFileSync(file, manyChecks(n, url, `concurrency: ${concurrency}`));
  // Baseline 1: in this process, warmed up (the stricter one).
  const warm = async () => {
    let i = 0;
    return (await pool(n, concurrency, () => nodeHttpGet(`${url}/s${Math.floor(i / 20)}/c${i++ % 20}`))).perSecond;
  };
  // Baseline 2: a fresh node process, as cold as the CLI.
  const fresh = async () => {
    const out = await new Promise<string>((res) => {
      const c = spawn(process.execPath, ['--input-type=module', '-e', RAW_PROCESS, url, String(n), String(concurrency)], { stdio: ['ignore', 'pipe', 'inherit'] });
      let text = '';
      c.stdout!.on('data', (d: Buffer) => (text += d.toString()));
      c.once('close', () => res(text));
    });
    const [seconds, failed] = out.trim().split(' ').map(Number);
    if (failed) console.log(`  (raw node:http process: ${failed} GETs failed)`);
    return n / seconds!;
  };
  const cli = async () => {
    const r = await runCli(['check', '-c', file]);
    const summary = r.stdout.trim().split('\n').at(-1) ?? '';
    const m = /^(\d+) checks: (\d+) ok, (\d+) failed, \d+ skipped \(([\d.]+) s/.exec(summary);
    if (!m || r.code !== 0) console.log(`  pagerless check exited ${r.code}: ${summary || r.stderr.split('\n')[0]}`);
    if (m && Number(m[3]) > 0) console.log(`  (pagerless check: ${m[3]} checks failed)`);
    // The CLI's own figure covers the probing; the wall time adds start-up, loading the config and the table.
    return { probing: n / Number(m?.[4] ?? NaN), wall: n / (r.ms / 1000) };
  };
  await warm(); // warm-up: this process's JIT, the target's and the kernel's
  const runs: { warm: number; fresh: number; probing: number; wall: number }[] = [];
  for (let i = 0; i < 3; i++) {
    // Alternating order, so drift in machine load hits every side alike.
    const order = i % 2 === 0 ? ['warm', 'fresh', 'cli'] as const : ['cli', 'fresh', 'warm'] as const;
    const run = { warm: 0, fresh: 0, probing: 0, wall: 0 };
    for (const side of order) {
      if (side === 'warm') run.warm = await warm();
      else if (side === 'fresh') run.fresh = await fresh();
      else Object.assign(run, await cli());
    }
    runs.push(run);
  }
  child.kill('SIGTERM');
  console.log(`check: \`pagerless check\` over ${n} HTTP checks, settings.concurrency ${concurrency}, fresh connection each, loopback target in its own process`);
  for (const [i, r] of runs.entries()) {
    console.log(`  run ${i + 1}: raw node:http ${r.warm.toFixed(0)}/s warm, ${r.fresh.toFixed(0)}/s in a fresh process; pagerless check ${r.probing.toFixed(0)} checks/s probing, ${r.wall.toFixed(0)}/s from spawn to exit`);
  }
  const ratio = (f: (r: (typeof runs)[number]) => number) => median(runs.map(f)).toFixed(2);
  figures[`check: raw node:http fresh-connection GETs/s at concurrency ${concurrency}, warm in-process / fresh process (medians)`] = `${median(runs.map((r) => r.warm)).toFixed(0)} / ${median(runs.map((r) => r.fresh)).toFixed(0)}`;
  figures[`check: pagerless check of ${n} checks, checks/s probing / from spawn to exit (medians)`] = `${median(runs.map((r) => r.probing)).toFixed(0)} / ${median(runs.map((r) => r.wall)).toFixed(0)}`;
  figures['check: ratio probing to raw node:http in a fresh process, median of runs (target >= 0.9)'] = ratio((r) => r.probing / r.fresh);
  figures['check: ratio probing to raw node:http warm in-process'] = ratio((r) => r.probing / r.warm);
  figures['check: ratio from spawn to exit (start-up, config and table included) to raw in a fresh process'] = ratio((r) => r.wall / r.fresh);
}

async function benchStartup(): Promise<void> {
  const commands: [string, string[]][] = [
    ['--version', ['--version']],
    ['validate (examples/monitors.yaml)', ['validate', '-c', 'examples/monitors.yaml']],
    ['schema', ['schema']],
  ];
  const time = (args: string[]) => {
    const t0 = performance.now();
    execFileSync(process.execPath, args, { cwd: ROOT, stdio: 'ignore' });
    return performance.now() - t0;
  };
  const runs = 15;
  const rows: { name: string; ms: number[] }[] = [{ name: 'node -e 0 (bare node)', ms: [] }, ...commands.map(([name]) => ({ name, ms: [] as number[] }))];
  const argv = [['-e', '0'], ...commands.map(([, args]) => [CLI, ...args])];
  for (const args of argv) time(args); // warm the file cache
  // Round-robin, so a burst of load from elsewhere hits every command alike.
  for (let i = 0; i < runs; i++) for (const [k, args] of argv.entries()) rows[k]!.ms.push(time(args));
  console.log(`startup: wall time of a fresh process, ${runs} runs each, round-robin`);
  for (const r of rows) {
    const sorted = [...r.ms].sort((a, b) => a - b);
    console.log(`  ${r.name.padEnd(34)} median ${median(r.ms).toFixed(0)} ms, min ${sorted[0]!.toFixed(0)} ms, max ${sorted.at(-1)!.toFixed(0)} ms`);
    figures[`startup: ${r.name}, median ms${r.name.startsWith('node') ? '' : ' (target <= 300)'}`] = median(r.ms).toFixed(0);
  }
}

async function benchValidate(): Promise<void> {
  const n = 10_000;
  const file = join(tempDir('pagerless-bench-'), 'monitors.yaml');
  writeFileSync(file, manyChecks(n, 'https://svc.example.com'));
  const { loadConfig } = await import('../../shared/config/load.ts');
  const yamlAlone = () => {
    const lineCounter = new LineCounter();
    const doc = parseDocument(readFileSync(file, 'utf8'), { lineCounter });
    if (doc.errors.length) throw new Error(String(doc.errors[0]));
  };
  const timed = (f: () => unknown) => {
    const t0 = performance.now();
    f();
    return performance.now() - t0;
  };
  // In this process: loadConfig (read, parse, validate, compile) against parseDocument of the same file.
  yamlAlone();
  loadConfig(file, {});
  const inProcess: { ours: number; yaml: number }[] = [];
  for (let i = 0; i < 5; i++) {
    const [first, second] = i % 2 === 0 ? [yamlAlone, () => loadConfig(file, {})] : [() => loadConfig(file, {}), yamlAlone];
    const a = timed(first);
    const b = timed(second);
    inProcess.push(i % 2 === 0 ? { yaml: a, ours: b } : { ours: a, yaml: b });
  }
  // As a user meets it: `pagerless validate` in a fresh process against a fresh node that only parses the file.
  const parseOnly = `import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
const doc = parseDocument(readFileSync(${JSON.stringify(file)}, 'utf8'), { lineCounter: new LineCounter() });
if (doc.errors.length > 0) process.exit(1);`;
  const fresh: { cli: number; yaml: number }[] = [];
  for (let i = 0; i < 5; i++) {
    const cli = await runCli(['validate', '-c', file]);
    if (cli.code !== 0) console.log(`  validate exited ${cli.code}: ${cli.stderr.split('\n')[0]}`);
    const yaml = timed(() => execFileSync(process.execPath, ['--input-type=module', '-e', parseOnly], { cwd: ROOT, stdio: 'ignore' }));
    fresh.push({ cli: cli.ms, yaml });
  }
  const kb = readFileSync(file).length / 1024;
  console.log(`validate: ${n} HTTP checks (${kb.toFixed(0)} KB of YAML), 5 runs each`);
  for (const [i, r] of inProcess.entries()) console.log(`  in-process run ${i + 1}: loadConfig ${r.ours.toFixed(0)} ms, yaml parseDocument with positions ${r.yaml.toFixed(0)} ms`);
  for (const [i, r] of fresh.entries()) console.log(`  fresh process run ${i + 1}: pagerless validate ${r.cli.toFixed(0)} ms, node + yaml parseDocument with positions ${r.yaml.toFixed(0)} ms`);
  figures['validate 10,000 checks: loadConfig in-process, ms (median)'] = median(inProcess.map((r) => r.ours)).toFixed(0);
  figures['validate 10,000 checks: yaml parseDocument with positions in-process, ms (median)'] = median(inProcess.map((r) => r.yaml)).toFixed(0);
  figures['validate 10,000 checks: ratio loadConfig / yaml alone, in-process (target <= 1)'] = median(inProcess.map((r) => r.ours / r.yaml)).toFixed(2);
  figures['validate 10,000 checks: `pagerless validate` wall, ms (median)'] = median(fresh.map((r) => r.cli)).toFixed(0);
  figures['validate 10,000 checks: ratio `pagerless validate` / fresh node + yaml alone (target <= 1)'] = median(fresh.map((r) => r.cli / r.yaml)).toFixed(2);
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
  const checks = 10_000;
  const intervalSeconds = 60;
  const { port: targetPort, child: target } = await startTarget();
  const dir = tempDir('pagerless-bench-');
  const configFile = join(dir, 'monitors.yaml');
  writeFileSync(configFile, manyChecks(checks, `http://127.0.0.1:${targetPort}`));
  const port = await freePort();
  const engine = spawn(process.execPath, [CLI, 'run', '-c', configFile, '--port', String(port), '--data', join(dir, 'data')], { stdio: ['ignore', 'ignore', 'pipe'] });
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
  let bytes = 0;
  while (Date.now() - t0 < seconds * 1000) {
    const s = performance.now();
    const res = await fetch(api);
    const text = await res.text();
    // The API's latency: request to last byte. Parsing the JSON here is this client's cost, not the engine's.
    latencies.push(performance.now() - s);
    bytes = text.length;
    up = (JSON.parse(text) as { checks: { state: string }[] }).checks.filter((c) => c.state === 'up').length;
    await new Promise((r) => setTimeout(r, 2_000));
  }
  const cpu = ((ticks() - c0) / hz) / ((Date.now() - t0) / 1000);
  engine.kill('SIGTERM');
  target.kill('SIGTERM');
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!.toFixed(1);
  console.log(`engine: ${checks} http checks every ${intervalSeconds} s for ${seconds} s (${Math.round(checks / intervalSeconds)} checks/s); ${up} up at the end; ${latencies.length} /api/checks samples of ${(bytes / 1024).toFixed(0)} KB`);
  if (/ERROR|skipping rounds/.test(stderr)) console.log(`  engine log had errors or skipped rounds:\n${stderr.split('\n').filter((l) => /ERROR|skipping/.test(l)).slice(0, 5).join('\n')}`);
  figures[`engine, ${checks} checks every ${intervalSeconds} s: CPU, % of one core (target < 25%)`] = (cpu * 100).toFixed(1);
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
  figures['pagerless cost: 1,000 HTTPS endpoints, 60 s, 3 regions, $/month (issue 7 target <= 25)'] = r.totalUsd.toFixed(2);
}

/**
 * What one check costs the prober: CPU time of this process (user + system) and bytes it sends,
 * counted by a proxy in front of each target (TCP payload: TLS handshake, request, close_notify;
 * not IP/TCP headers). Rounds run 20 at a time, as a batch does; the targets run in a child process.
 */
async function benchCostInputs(): Promise<void> {
  const { fork } = await import('node:child_process');
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'pagerless-bench-tls-'));
  // A self-signed P-256 certificate, as test/adapters/http-check.test.ts makes them; the check runs with insecure: true.
  execFileSync('/usr/bin/openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'pipe' });
  const child = fork(join(ROOT, 'test/bench/cost-target.mjs'), [join(dir, 'key.pem'), join(dir, 'cert.pem')], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  type Stats = Record<'http' | 'https' | 'tcp', { bytes: number; connections: number }>;
  const next = () => new Promise<Record<string, unknown>>((res) => child.once('message', (m) => res(m as Record<string, unknown>)));
  const { ports } = (await next()) as { ports: Record<'http' | 'https' | 'tcp', number> };
  const ask = async (reset: boolean) => {
    const reply = next();
    child.send(reset ? { reset: true } : { stats: true });
    return (await reply).stats as Stats;
  };
  const rounds = Number(process.env.BENCH_COSTINPUTS_ROUNDS ?? 2_000);
  const config = parseConfig(`version: 1
services:
  - name: bench
    checks:
      - name: http
        http: { url: "http://127.0.0.1:${ports.http}/health" }
        expect: { status: 2xx, body: healthy }
      - name: https
        http: { url: "https://127.0.0.1:${ports.https}/health", insecure: true }
        expect: { status: 2xx, body: healthy }
      - name: tcp
        tcp: { host: 127.0.0.1, port: ${ports.tcp} }
`, 'bench.yaml', {});
  const ctx = { region: 'us-east-1', now: Date.now, lastPing: () => undefined, watchingSince: () => 0 };
  const measured: Record<string, { cpuMs: number; bytes: number }> = {};
  for (const kind of ['http', 'https', 'tcp'] as const) {
    const check = config.checks.find((c) => c.name === kind)!;
    const run = (n: number) => pool(n, 20, async () => (await runRound(check, ctx)).ok);
    await run(300); // warm-up: JIT, the TLS context
    const samples: { cpuMs: number; bytes: number }[] = [];
    for (let i = 0; i < 5; i++) {
      await new Promise((r) => setTimeout(r, 300)); // the proxy accepts the last connections late
      await ask(true);
      const cpu0 = process.cpuUsage();
      const { failures } = await run(rounds);
      const cpu = process.cpuUsage(cpu0);
      await new Promise((r) => setTimeout(r, 200)); // the last FINs and close_notify reach the proxy
      const stats = (await ask(false))[kind];
      if (failures > 0 || stats.connections !== rounds) console.log(`  (${kind}: ${failures} failures, ${stats.connections} connections for ${rounds} rounds)`);
      samples.push({ cpuMs: (cpu.user + cpu.system) / 1000 / rounds, bytes: stats.bytes / rounds });
    }
    measured[kind] = { cpuMs: median(samples.map((x) => x.cpuMs)), bytes: median(samples.map((x) => x.bytes)) };
    console.log(`costinputs ${kind}: ${samples.map((x) => `${x.cpuMs.toFixed(3)} ms`).join(', ')} CPU per check; ${samples.map((x) => x.bytes.toFixed(0)).join(', ')} bytes sent per check (5 runs of ${rounds}, 20 at a time)`);
  }
  child.disconnect();
  rmSync(dir, { recursive: true, force: true });
  for (const [kind, m] of Object.entries(measured)) {
    figures[`costinputs ${kind}: client CPU per check, ms (median of 5 runs)`] = m.cpuMs.toFixed(3);
    figures[`costinputs ${kind}: bytes sent per check, TCP payload (median of 5 runs)`] = m.bytes.toFixed(0);
  }
}

interface ProbeMemFigures {
  mode: string;
  passed: number;
  failed: number;
  seconds: number;
  rssBeforeMB: number;
  peakRssMB: number;
  maxRssMB: number;
  peakHeapUsedMB: number;
  peakExternalMB: number;
}

async function benchProbeMem(): Promise<void> {
  const { mkdtempSync, mkdirSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  // The baseline is the probe as it was: the parent of the commit that brought streaming matching.
  const git = (...args: string[]) => execFileSync('git', args, { cwd: ROOT });
  const added = git('log', '--diff-filter=A', '--format=%H', '-1', '--', 'shared/checks/body-match.ts').toString().trim();
  const base = added ? `${added}^` : 'HEAD';
  const oldDir = mkdtempSync(join(tmpdir(), 'pagerless-probemem-'));
  mkdirSync(join(oldDir, 'checks'));
  for (const file of ['http-probe.ts', 'errors.ts']) writeFileSync(join(oldDir, 'checks', file), git('show', `${base}:shared/checks/${file}`));
  const { port, child: target } = await startTarget();
  const concurrency = Number(process.env.BENCH_PROBEMEM_CONCURRENCY ?? 200);
  const rounds = 3;
  // A 256 MB function: its whole RSS must stay under 256 MB; the heap gets the V8 limit below.
  const heapMB = 192;
  const run = (mode: 'streaming' | 'buffered' | 'unmatched') => new Promise<ProbeMemFigures | { mode: string; crashed: string }>((res) => {
    const child = spawn(process.execPath, [`--max-old-space-size=${heapMB}`, '--import', 'tsx', join(ROOT, 'test/bench/probemem-child.ts'), mode, String(port), String(concurrency), String(rounds), oldDir], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.once('exit', (code, signal) => {
      if (code === 0 && out.trim()) res(JSON.parse(out.trim().split('\n').at(-1)!) as ProbeMemFigures);
      else res({ mode, crashed: `exit ${code ?? signal}: ${err.trim().split('\n').slice(-3).join(' | ').slice(0, 300)}` });
    });
  });
  // `unmatched`: the same probe with no expect.body, so the matcher's own share shows.
  const results = [await run('buffered'), await run('streaming'), await run('unmatched')];
  target.kill();
  rmSync(oldDir, { recursive: true, force: true });
  const mb = (x: number) => x.toFixed(0);
  for (const r of results) {
    if ('crashed' in r) {
      console.log(`probemem ${r.mode}: crashed (${r.crashed})`);
      figures[`probemem ${r.mode}: peak RSS / heap used, MB`] = 'crashed';
      continue;
    }
    console.log(`probemem ${r.mode}: ${rounds} rounds of ${concurrency} concurrent 1 MiB probes, ${r.passed} passed, ${r.failed} failed, ${r.seconds.toFixed(1)} s; RSS ${mb(r.rssBeforeMB)} MB before, peak ${mb(r.maxRssMB)} MB (kernel) / ${mb(r.peakRssMB)} MB (sampled); heap used peak ${mb(r.peakHeapUsedMB)} MB; buffers peak ${mb(r.peakExternalMB)} MB`);
    figures[`probemem ${r.mode}, ${concurrency} x 1 MiB, heap limit ${heapMB} MB: peak RSS / heap used / buffers, MB (RSS target < 256)`] = `${mb(r.maxRssMB)} / ${mb(r.peakHeapUsedMB)} / ${mb(r.peakExternalMB)}`;
  }
}

if (['check', 'startup', 'validate', 'engine'].some((s) => only.has(s))) {
  execFileSync(process.execPath, [join(ROOT, 'bin/build.mjs')], { stdio: 'inherit' }); // the CLI sections run dist/
}
/**
 * An outage storm in the local outbox: 10,000 incidents x 2 channels pending. The store's claim
 * (indexed order-group heads) against the way it worked before (read every unsettled item, then
 * pick the heads in JavaScript), on the same database, in this run.
 */
async function benchClaims(): Promise<void> {
  const { SqliteStore } = await import('../../shared/adapters/local/sqlite-store.ts');
  const { runnableItems } = await import('../../shared/engine/delivery-order.ts');
  const build = async () => {
    const store = new SqliteStore(':memory:');
    const effects = [];
    for (let i = 0; i < 10_000; i++) for (const channel of ['team', 'pager']) {
      const incident = { id: `shop.c${i}.1`, check: `shop/c${i}`, service: 'shop', group: null, severity: 'critical' as const, openedAt: new Date(0).toISOString(), resolvedAt: null, durationSeconds: null, reason: 'status 503', regions: {} };
      effects.push({ kind: 'notify' as const, key: `${incident.id}:incident.opened:${channel}`, channel, payload: { event: 'incident.opened' as const, incident } });
    }
    await store.enqueue(effects, 1_000);
    return store;
  };
  const rounds = 20;
  const indexed = await build();
  let t0 = performance.now();
  for (let i = 0; i < rounds; i++) await indexed.claimDue(2_000, 32);
  const ours = (performance.now() - t0) / rounds;
  const before = await build();
  const all = before.db.prepare("SELECT rowid AS n, key, effect, attempts, created_at, status, next_at FROM outbox WHERE status IN ('pending', 'claimed')");
  const claim = before.db.prepare("UPDATE outbox SET status = 'claimed', attempts = attempts + 1 WHERE key = ? AND status = 'pending'");
  t0 = performance.now();
  for (let i = 0; i < rounds; i++) {
    before.db.transaction(() => {
      const rows = (all.all() as { n: number; key: string; effect: string; attempts: number; created_at: number; status: 'pending' | 'claimed'; next_at: number }[])
        .map((r) => ({ key: r.key, effect: JSON.parse(r.effect), attempts: r.attempts, createdAt: r.created_at, status: r.status, nextAt: r.next_at, order: r.n }));
      for (const r of runnableItems(rows, 2_000, 32)) claim.run(r.key);
    })();
  }
  const old = (performance.now() - t0) / rounds;
  console.log(`claims: 20,000 pending notifications (10,000 incidents x 2 channels), claimDue(32) x ${rounds}: ${ours.toFixed(1)} ms indexed vs ${old.toFixed(1)} ms reading every unsettled item`);
  figures['claims: local outbox claim of 32 with 20,000 pending, indexed vs reading all (ms, ratio)'] = `${ours.toFixed(1)} vs ${old.toFixed(1)} = ${(ours / old).toFixed(3)}`;
}

if (only.has('reducer')) benchReducer();
if (only.has('writes')) await benchWrites();
if (only.has('bundle')) await benchBundles();
if (only.has('startup')) await benchStartup();
if (only.has('validate')) await benchValidate();
if (only.has('prober')) await benchProber();
if (only.has('check')) await benchCheck();
if (only.has('engine')) await benchEngine();
if (only.has('probemem')) await benchProbeMem();
if (only.has('claims')) await benchClaims();
if (process.env.BENCH_ONLY?.split(',').includes('costinputs')) await benchCostInputs();
console.log('\nFigures (this machine, this run):');
const width = Math.max(...Object.keys(figures).map((k) => k.length));
for (const [k, v] of Object.entries(figures)) console.log(`  ${k.padEnd(width)}  ${v}`);
process.exit(0);
