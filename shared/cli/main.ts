/**
 * The `pagerless` command line. Each command returns its exit code; nothing here throws at a user:
 * config errors print file:line:col, anything unexpected prints one line (the stack only with DEBUG).
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import type { LocalEngine as Engine } from '../adapters/local/engine.ts';
import { checkKinds } from '../checks/index.ts';
import { ConfigError, loadAwsConfig, loadConfig } from '../config/load.ts';
import { configSchema } from '../config/schema.ts';
import type { CompiledConfig } from '../config/compile.ts';
import { createLogger } from './log.ts';
import { createRedactor } from '../kit/redact.ts';
import pkg from '../../package.json' with { type: 'json' };

// The engine (SQLite, undici, the server) loads only for `run`: validate, schema and --version start without it.
type LocalEngine = Engine;
const LocalEngine = {
  start: async (...args: Parameters<typeof Engine.start>) => (await import('../adapters/local/engine.ts')).LocalEngine.start(...args),
};

const USAGE = `Usage: pagerless <command> [options]

Commands:
  run       [-c monitors.yaml] [--port 8080] [--host 127.0.0.1] [--data .pagerless]   run the monitor on this machine
  validate  [-c monitors.yaml] [--target local|aws]  check the config; exit 1 with file:line:col on errors
            --target aws: as cdk synth and cost read it (ssm and secret references kept, 10s minimum interval)
  check     [-c monitors.yaml] [--only svc/check]  run every check once, print a table, exit 1 if any fails
  cost      [-c monitors.yaml]                  monthly AWS cost of the config, line by line
  schema                                        print the JSON Schema of monitors.yaml
  version                                       print the version (also --version, -v)

Environment: PAGERLESS_CONFIG, PAGERLESS_PORT, PAGERLESS_HOST and PAGERLESS_DATA stand in for -c, --port, --host and --data.
`;

export interface Io {
  out(text: string): void;
  err(text: string): void;
  env: Record<string, string | undefined>;
}

const processIo: Io = {
  out: (t) => process.stdout.write(t.endsWith('\n') ? t : `${t}\n`),
  err: (t) => process.stderr.write(t.endsWith('\n') ? t : `${t}\n`),
  env: process.env,
};

class UsageError extends Error {
  override name = 'UsageError';
  readonly code = 'USAGE';
}

export async function main(argv: string[], io: Io = processIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'run':
        return await run(rest, io);
      case 'validate':
        return validate(rest, io);
      case 'check':
        return await check(rest, io);
      case 'cost':
        return await cost(rest, io);
      case 'schema':
        io.out(JSON.stringify(jsonSchema(), null, 2));
        return 0;
      case 'version':
      case '--version':
      case '-v':
        io.out(`pagerless ${pkg.version}`);
        return 0;
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.out(USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (err) {
    if (err instanceof ConfigError) {
      io.err(err.message);
      io.err(`${err.issues.length} error${err.issues.length > 1 ? 's' : ''} in the config`);
      return 1;
    }
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(`pagerless: ${(err as Error).message}\n\n${USAGE}`);
      return 2;
    }
    io.err(`pagerless: ${(err as Error).message}`);
    if (io.env.DEBUG) io.err((err as Error).stack ?? '');
    return 1;
  }
}

function options(args: string[], extra: Record<string, { type: 'string'; short?: string }> = {}) {
  return parseArgs({ args, options: { config: { type: 'string', short: 'c' }, ...extra }, allowPositionals: false, strict: true }).values as Record<string, string | undefined>;
}

function configPath(values: Record<string, string | undefined>, io: Io): string {
  return values.config ?? io.env.PAGERLESS_CONFIG ?? 'monitors.yaml';
}

function validate(args: string[], io: Io): number {
  const values = options(args, { target: { type: 'string' } });
  const target = values.target ?? 'local';
  if (target !== 'local' && target !== 'aws') throw new UsageError(`--target must be local or aws, not "${target}"`);
  const file = configPath(values, io);
  // --target aws is the very function `cdk synth` (infra/config.ts) and `pagerless cost` call.
  const config = target === 'aws' ? loadAwsConfig(file, io.env).config : loadConfig(file, io.env);
  io.out(summary(config));
  return 0;
}

export function summary(config: CompiledConfig): string {
  const kinds = Object.keys(checkKinds)
    .map((k) => [k, config.checks.filter((c) => c.kind === k).length] as const)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n} ${k}`);
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  return `${config.file}: valid: ${plural(config.services.length, 'service')}, ${plural(config.checks.length, 'check')} (${kinds.join(', ')}), ${plural(Object.keys(config.channels).length, 'channel')}, ${plural(Object.keys(config.reactions).length, 'reaction')}`;
}

async function run(args: string[], io: Io): Promise<number> {
  const values = options(args, { port: { type: 'string' }, host: { type: 'string' }, data: { type: 'string' } });
  const portText = values.port ?? io.env.PAGERLESS_PORT ?? '8080';
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65_535) throw new UsageError(`--port must be a number from 0 to 65535, not "${portText}"`);
  // The config sees the port actually served, so checks of Pagerless itself follow --port.
  const config = loadConfig(configPath(values, io), { ...io.env, PAGERLESS_PORT: String(port) });
  // Loopback by default: /hooks and /ping have no token unless configured. --host 0.0.0.0 to serve a load balancer.
  const host = values.host ?? io.env.PAGERLESS_HOST ?? '127.0.0.1';
  const dataDir = resolve(values.data ?? io.env.PAGERLESS_DATA ?? '.pagerless');
  // Every value that came from a ${...} reference is redacted from logs and console alerts.
  let redact = createRedactor(config.secrets);
  const log = createLogger(io.err, { redact: (text) => redact(text), debug: Boolean(io.env.DEBUG) });
  const file = configPath(values, io);
  let engine: LocalEngine;
  try {
    engine = await LocalEngine.start({ config, dataDir, port, host, log, print: (line) => io.out(redact(line)) });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE') throw new Error(`port ${port} is already in use (pick another with --port)`);
    if (e.code === 'EADDRNOTAVAIL') throw new Error(`cannot listen on ${host}: no such address on this machine`);
    throw err;
  }
  const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  io.out(`Pagerless is watching ${config.checks.length} checks: dashboard at http://${shown}:${engine.port}/ (data in ${dataDir})`);
  // SIGHUP: read the config again; a bad one is reported and the running one stays.
  let reloading = Promise.resolve();
  const reload = () => {
    reloading = reloading.then(async () => {
      log.info(`SIGHUP received, reloading ${file}`);
      let next: CompiledConfig;
      try {
        next = loadConfig(file, { ...io.env, PAGERLESS_PORT: String(engine.port) });
      } catch (err) {
        const detail = err instanceof ConfigError ? `${err.issues.length} error(s):\n${err.message}` : (err as Error).message;
        log.error(`config not reloaded, still running the previous one: ${detail}`);
        return;
      }
      redact = createRedactor([...config.secrets, ...next.secrets]);
      await engine.reload(next).catch((err: Error) => log.error(`config reload failed: ${err.message}`));
    });
  };
  process.on('SIGHUP', reload);
  await new Promise<void>((done) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) {
        io.err(`${signal} again: exiting now`);
        process.exit(130);
      }
      stopping = true;
      process.off('SIGHUP', reload);
      log.info(`${signal} received, stopping`);
      // Never take more than 5 s to quit, whatever a probe or a send is doing.
      setTimeout(() => process.exit(0), 4_500).unref();
      engine.stop().then(() => {
        log.info('stopped');
        done();
      }, (err: Error) => {
        log.error('stop failed', { error: err.message });
        done();
      });
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  });
  return 0;
}

async function check(args: string[], io: Io): Promise<number> {
  const values = options(args, { only: { type: 'string' } });
  const config = loadConfig(configPath(values, io), io.env);
  let checks = config.checks;
  if (values.only) {
    checks = checks.filter((c) => c.id === values.only || c.service === values.only);
    if (checks.length === 0) throw new UsageError(`--only ${values.only}: no such check or service (checks: ${config.checks.map((c) => c.id).join(', ')})`);
  }
  const { checkOnce } = await import('./check.ts');
  return checkOnce(config, checks, io.out);
}

async function cost(args: string[], io: Io): Promise<number> {
  const values = options(args);
  // As `cdk synth` sees it (the same function): the prober regions, secrets left for cold start.
  const { config } = loadAwsConfig(configPath(values, io), io.env);
  const { estimateCost, formatCost } = await import('../cost/simulate.ts');
  io.out(formatCost(await estimateCost(config)));
  return 0;
}

/** The JSON Schema of monitors.yaml (its input form: durations as strings, defaults optional). */
export function jsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }),
    $id: 'https://pagerless.dev/schema/monitors.json',
    title: 'Pagerless monitors.yaml',
  };
}
