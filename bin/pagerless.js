#!/usr/bin/env node
// The CLI entry: load the TypeScript sources through tsx, so `npm ci` needs no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../shared/cli/main.ts');
// Exit explicitly: after `run` stops, probes still in flight must not hold the process open.
process.exit(await main(process.argv.slice(2)));
