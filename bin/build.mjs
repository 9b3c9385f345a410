#!/usr/bin/env node
/**
 * Compile the CLI (shared/cli/main.ts) into dist/, so `pagerless` starts without transpiling
 * TypeScript, and bundle each Lambda function (functions/<name>.ts) into
 * dist/functions/<name>/index.mjs, the code the Pagerless construct deploys (so synth needs no
 * esbuild). Run by `npm ci` (prepare), `npm pack` (prepack), `npm test`, `npm run bench`,
 * `cdk synth` (cdk.json) and the vitest globalSetup.
 *
 * The pure-JavaScript packages every command loads (zod, yaml, undici) are bundled in: resolving
 * and compiling their hundreds of files took ~200 ms of each start. Every other package stays
 * external, used from node_modules as installed (better-sqlite3 is native; the AWS SDK loads on
 * demand). Code behind a dynamic import() becomes its own chunk, so `validate` never loads SQLite.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { build } from 'esbuild';

const ROOT = resolve(import.meta.dirname, '..');
const BUNDLED = new Set(['zod', 'yaml', 'undici']);
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const external = [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.devDependencies ?? {})]
  .filter((name) => !BUNDLED.has(name))
  .flatMap((name) => [name, `${name}/*`]);
const DIST = join(ROOT, 'dist');
// A chunk the latest build no longer refers to is kept this long: a CLI started before that build may still import it.
const STALE_CHUNK_MS = 10 * 60_000;

const t0 = performance.now();
const cli = build({
  absWorkingDir: ROOT,
  entryPoints: { cli: 'shared/cli/main.ts' },
  outdir: DIST,
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external,
  // Bundled CommonJS (yaml, undici) calls require() for Node's own modules.
  banner: { js: "import { createRequire as __pagerlessRequire } from 'node:module'; const require = __pagerlessRequire(import.meta.url);" },
  sourcemap: 'linked',
  write: false,
  logLevel: 'warning',
});

// The Lambda packages: one self-contained ESM file per function. The Node.js 22 runtime ships the
// AWS SDK v3, so it stays out; the compiled config is added beside it at synth (infra/function.ts).
const FUNCTIONS = readdirSync(join(ROOT, 'functions')).filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3));
const lambdas = build({
  absWorkingDir: ROOT,
  entryPoints: Object.fromEntries(FUNCTIONS.map((name) => [`${name}/index`, `functions/${name}.ts`])),
  outdir: join(DIST, 'functions'),
  outExtension: { '.js': '.mjs' },
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  mainFields: ['module', 'main'],
  minify: true,
  external: ['@aws-sdk/*'],
  // Some CommonJS dependencies call require() on Node built-ins; give the ESM bundle one.
  banner: { js: "import{createRequire as __pagerlessRequire}from'node:module';const require=__pagerlessRequire(import.meta.url);" },
  write: false,
  logLevel: 'warning',
});
const result = { outputFiles: [...(await lambdas).outputFiles, ...(await cli).outputFiles] };

// Several test runs may share this checkout: each file appears whole (written aside, then renamed),
// chunks (named by content) before the entry that imports them, and unchanged files are not rewritten.
const entry = join(DIST, 'cli.js');
const outputs = [...result.outputFiles.filter((f) => f.path !== entry), ...result.outputFiles.filter((f) => f.path === entry)];
const written = new Set();
let changed = 0;
for (const file of outputs) {
  written.add(file.path);
  let old;
  try {
    old = readFileSync(file.path);
  } catch {
    old = undefined;
  }
  if (old && Buffer.compare(old, file.contents) === 0) {
    utimesSync(file.path, new Date(), new Date()); // its mtime says when a build last referred to it
    continue;
  }
  mkdirSync(dirname(file.path), { recursive: true });
  const aside = `${file.path}.${process.pid}.tmp`;
  // World-readable whatever the umask: Lambda runs the function as a user that owns no file.
  writeFileSync(aside, file.contents);
  chmodSync(aside, 0o644);
  renameSync(aside, file.path);
  changed++;
}
const chunks = join(DIST, 'chunks');
for (const name of existsSync(chunks) ? readdirSync(chunks) : []) {
  const path = join(chunks, name);
  try {
    if (!written.has(path) && Date.now() - statSync(path).mtimeMs > STALE_CHUNK_MS) unlinkSync(path);
  } catch (err) {
    if (err.code !== 'ENOENT') throw err; // another build pruned it first
  }
}
if (!process.env.PAGERLESS_BUILD_QUIET) {
  console.error(`pagerless: built ${relative(ROOT, DIST)}/ (${written.size} files, ${changed} changed) in ${Math.round(performance.now() - t0)} ms`);
}
