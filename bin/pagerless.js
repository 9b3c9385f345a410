#!/usr/bin/env node
// The CLI entry: the compiled JavaScript in dist/ (bin/build.mjs, run by `npm ci` and `npm test`).
// With DEBUG set, stack traces point at the TypeScript sources.
if (process.env.DEBUG) process.setSourceMapsEnabled(true);
// A reader that stops early (`pagerless check | head`) is not a failure of the command.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err.code !== 'EPIPE') throw err;
  });
}
let cli;
try {
  cli = await import('../dist/cli.js');
} catch (err) {
  if (err?.code !== 'ERR_MODULE_NOT_FOUND' || !String(err.message).includes('dist/cli.js')) throw err;
  process.stderr.write('pagerless: dist/cli.js is missing: build it with `npm run build` (npm ci does it too)\n');
  process.exit(1);
}
const code = await cli.main(process.argv.slice(2));
// Output to a pipe may still be queued (a 10,000-row table is): exit once it is written.
await Promise.all([process.stdout, process.stderr].map((stream) => new Promise((done) => stream.write('', done))));
// Exit explicitly: after `run` stops, probes still in flight must not hold the process open.
process.exit(code);
