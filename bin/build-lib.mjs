#!/usr/bin/env node
/**
 * Compile the construct library (infra/index.ts and what it imports) into dist/lib: JavaScript and
 * .d.ts files, for the package's `exports`. Run by `npm pack` and `npm publish` (prepack), after
 * bin/build.mjs has built the Lambda bundles the construct deploys (dist/functions).
 *
 * tsc rewrites the sources' `./x.ts` imports to `./x.js` in the JavaScript but not in the
 * declarations; a consumer's tsc (no allowImportingTsExtensions) needs `.js` there too.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const OUT = join(ROOT, 'dist/lib');
const t0 = performance.now();
rmSync(OUT, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json')], { cwd: ROOT, stdio: 'inherit' });

let files = 0;
for (const name of readdirSync(OUT, { recursive: true })) {
  if (!name.endsWith('.d.ts')) continue;
  const path = join(OUT, name);
  const text = readFileSync(path, 'utf8');
  const fixed = text.replace(/((?:from|import\()\s*['"])(\.{1,2}\/[^'"]*)\.ts(['"])/g, '$1$2.js$3');
  if (fixed !== text) writeFileSync(path, fixed);
  files++;
}
console.error(`pagerless: built dist/lib/ (${files} declaration files) in ${Math.round(performance.now() - t0)} ms`);
