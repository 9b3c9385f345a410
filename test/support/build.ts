/**
 * vitest globalSetup: compile the CLI before any test file runs, so a test that spawns
 * bin/pagerless.js (`npx vitest run test/e2e/cli.test.ts` included) never runs a stale dist/.
 */
import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';

export default function setup(): void {
  const root = resolve(import.meta.dirname, '../..');
  // A build error fails the run here, with esbuild's message, rather than in every CLI test.
  execFileSync(process.execPath, [join(root, 'bin/build.mjs')], { cwd: root, stdio: 'inherit', env: { ...process.env, PAGERLESS_BUILD_QUIET: '1' } });
}
