/**
 * The construct as a user installs it: `npm pack` this repository, install the tarball with
 * aws-cdk-lib and constructs into a new app laid out as `cdk init app --language typescript` lays
 * one out (its tsconfig, word for word but one line), type-check it with that tsconfig, and
 * `cdk synth` it. The app has no esbuild, no Docker, no lockfile of ours and no better-sqlite3 (it
 * is deleted after the install: the construct must not load it), and no TypeScript source of ours.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../e2e/harness.ts';

const BIN = join(ROOT, 'node_modules/.bin');
const version = (name: string) => (JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;

/** node_modules/aws-cdk/lib/init-templates/app/typescript/tsconfig.json as aws-cdk 2.1148 writes it. */
const INIT_TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    lib: ['es2022'],
    declaration: true,
    strict: true,
    noImplicitAny: true,
    strictNullChecks: true,
    noImplicitThis: true,
    alwaysStrict: true,
    noUnusedLocals: false,
    noUnusedParameters: false,
    noImplicitReturns: true,
    noFallthroughCasesInSwitch: false,
    inlineSourceMap: true,
    inlineSources: true,
    experimentalDecorators: true,
    strictPropertyInitialization: false,
    skipLibCheck: true,
    typeRoots: ['./node_modules/@types'],
    noEmit: true,
    isolatedModules: true,
    // The template says ['jest', 'node']: this app has no jest tests, so it installs no @types/jest.
    types: ['node'],
  },
  exclude: ['node_modules', 'cdk.out'],
};

const APP = `#!/usr/bin/env node
import * as cdk from 'aws-cdk-lib/core';
import { MonitoringStack } from '../lib/monitoring-stack';

const app = new cdk.App();
new MonitoringStack(app, 'Monitoring', { env: { region: 'eu-west-1' } });
`;

const STACK = `import * as cdk from 'aws-cdk-lib/core';
import { Construct } from 'constructs';
import { Pagerless, type PagerlessProps } from 'pagerless';

export class MonitoringStack extends cdk.Stack {
  constructor(scope: Construct, id: string, props?: cdk.StackProps) {
    super(scope, id, props);
    const options: PagerlessProps = { configFile: 'monitors.yaml', environment: {} };
    const monitor = new Pagerless(this, 'Monitor', options);
    new cdk.CfnOutput(this, 'AlertTopic', { value: monitor.alertTopic.topicArn });
  }
}
`;

const CONFIG = `version: 1
settings:
  home: eu-west-1
  regions: [eu-west-1, us-east-1]
channels:
  stdout: { type: console }
services:
  - name: shop
    alert: [stdout]
    checks:
      - name: home
        http: { url: https://shop.example.com/ }
      - name: db
        tcp: { host: db.example.com, port: 5432 }
`;

/** The environment without AWS credentials or profile: synth must not need them. */
function offlineEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(AWS_|CDK_|npm_)/.test(k)) env[k] = v;
  return { ...env, AWS_EC2_METADATA_DISABLED: 'true' };
}

function run(cmd: string, args: string[], cwd: string): string {
  const r = spawnSync(cmd, args, { cwd, env: offlineEnv(), encoding: 'utf8', timeout: 400_000, maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal}):\n${(r.stdout + r.stderr).slice(-4_000)}`);
  return r.stdout;
}

interface Synth {
  outdir: string;
  /** Each Lambda function of each stack, with its asset folder. */
  functions: { stack: string; id: string; handler: string; runtime: string; architectures: string[]; s3Key: string; asset?: string }[];
}

function readSynth(outdir: string): Synth {
  const manifest = JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8')) as { artifacts: Record<string, { type: string; properties?: { templateFile: string } }> };
  const functions = Object.entries(manifest.artifacts)
    .filter(([, a]) => a.type === 'aws:cloudformation:stack')
    .flatMap(([stack, a]) => {
      const template = JSON.parse(readFileSync(join(outdir, a.properties!.templateFile), 'utf8')) as { Resources: Record<string, { Type: string; Properties: Record<string, any>; Metadata?: Record<string, string> }> };
      return Object.entries(template.Resources)
        .filter(([, r]) => r.Type === 'AWS::Lambda::Function')
        .map(([id, r]) => ({ stack, id, handler: r.Properties.Handler, runtime: r.Properties.Runtime, architectures: r.Properties.Architectures, s3Key: r.Properties.Code.S3Key, asset: r.Metadata?.['aws:asset:path'] }));
    });
  return { outdir, functions };
}

let work: string;
let app: string;
let tarball: string;
let first: Synth;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'pagerless-pack-'));
  // prepack builds the CLI, the Lambda bundles and the library first.
  const packed = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', work], ROOT)) as { filename: string }[];
  tarball = join(work, packed[0]!.filename);

  app = join(work, 'app');
  mkdirSync(join(app, 'bin'), { recursive: true });
  mkdirSync(join(app, 'lib'));
  writeFileSync(join(app, 'package.json'), JSON.stringify({
    name: 'monitoring',
    version: '0.1.0',
    private: true,
    dependencies: { 'aws-cdk-lib': version('aws-cdk-lib'), constructs: version('constructs'), pagerless: `file:${tarball}` },
    devDependencies: { '@types/node': version('@types/node') },
  }, null, 2));
  // Tarballs from the npm cache; the registry only for metadata the cache lacks (--offline fails:
  // `npm ci` caches tarballs, not the packuments a fresh install resolves ranges with). No install
  // scripts: better-sqlite3's would compile it for minutes, and it is deleted below anyway.
  run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', '--no-package-lock'], app);
  rmSync(join(app, 'node_modules/better-sqlite3'), { recursive: true, force: true });

  writeFileSync(join(app, 'tsconfig.json'), JSON.stringify(INIT_TSCONFIG, null, 2));
  writeFileSync(join(app, 'bin/monitoring.ts'), APP);
  writeFileSync(join(app, 'lib/monitoring-stack.ts'), STACK);
  writeFileSync(join(app, 'monitors.yaml'), CONFIG);
  // As cdk init's cdk.json: type-check with the app's tsconfig, then run the app with tsx.
  writeFileSync(join(app, 'cdk.json'), JSON.stringify({ app: `${join(BIN, 'tsc')} && ${join(BIN, 'tsx')} bin/monitoring.ts` }));
  // Under umask 077, where a file or folder made with default modes is private to its owner.
  run('sh', ['-c', `umask 077 && exec ${join(BIN, 'cdk')} synth -q --no-notices -o cdk.out`], app);
  first = readSynth(join(app, 'cdk.out'));
}, 600_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the package, installed into a cdk init app', () => {
  it('holds compiled JavaScript, declarations and the prebuilt Lambda bundles, and no TypeScript source', () => {
    const pkg = join(app, 'node_modules/pagerless');
    const files = readdirSync(pkg, { recursive: true }) as string[];
    expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
    for (const name of ['scheduler', 'evaluator', 'ingest', 'status', 'prober']) expect(existsSync(join(pkg, 'dist/functions', name, 'index.mjs'))).toBe(true);
    expect(existsSync(join(pkg, 'dist/lib/infra/index.d.ts'))).toBe(true);
    // Nothing that bundles at synth, and the native module is gone.
    for (const absent of ['esbuild', 'better-sqlite3', 'typescript']) expect({ absent, installed: existsSync(join(app, 'node_modules', absent)) }).toEqual({ absent, installed: false });
    // The entry loads where better-sqlite3 cannot be resolved at all.
    const probe = spawnSync(process.execPath, ['--input-type=module', '-e', `
      const m = await import('pagerless');
      let sqlite = 'resolvable';
      try { await import('better-sqlite3'); } catch (err) { sqlite = err.code; }
      console.log(JSON.stringify({ exports: Object.keys(m).sort(), sqlite }));`], { cwd: app, encoding: 'utf8' });
    expect(probe.stderr).toBe('');
    expect(JSON.parse(probe.stdout)).toEqual({ exports: expect.arrayContaining(['ConfigError', 'Pagerless', 'PagerlessCore', 'PagerlessProberStack']), sqlite: 'ERR_MODULE_NOT_FOUND' });
    const manifest = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')) as Record<string, any>;
    expect(manifest.private).toBeUndefined();
    expect(Object.keys(manifest.peerDependencies)).toEqual(['aws-cdk-lib', 'constructs']);
  });

  it('synthesizes the home stack and a prober stack per region, each function from a folder of index.mjs and monitors.json', () => {
    const byStack: Record<string, Synth['functions']> = {};
    for (const fn of first.functions) (byStack[fn.stack] ??= []).push(fn);
    expect(Object.keys(byStack).sort()).toEqual(['Monitoring', 'Monitoring-Prober-eu-west-1', 'Monitoring-Prober-us-east-1']);
    expect(byStack.Monitoring).toHaveLength(4);
    expect(byStack['Monitoring-Prober-eu-west-1']).toHaveLength(1);
    const configs = new Set<string>();
    for (const fn of first.functions) {
      expect(fn).toMatchObject({ handler: 'index.handler', runtime: 'nodejs22.x', architectures: ['arm64'] });
      const dir = join(first.outdir, fn.asset!);
      expect(readdirSync(dir).sort()).toEqual(['index.mjs', 'monitors.json']);
      // Lambda's user owns none of the files: all of them world-readable, the folder enterable.
      expect({ dir: fn.asset, mode: statSync(dir).mode & 0o555 }).toEqual({ dir: fn.asset, mode: 0o555 });
      for (const name of readdirSync(dir)) expect({ name, mode: statSync(join(dir, name)).mode & 0o444 }).toEqual({ name, mode: 0o444 });
      const compiled = readFileSync(join(dir, 'monitors.json'), 'utf8');
      expect(compiled).toContain('shop.example.com');
      configs.add(compiled);
      // The code is the package's prebuilt bundle, byte for byte (the runtime ships the AWS SDK).
      const name = /(Scheduler|Evaluator|Ingest|Status|Prober)/.exec(fn.id)![1]!.toLowerCase();
      const code = readFileSync(join(dir, 'index.mjs'), 'utf8');
      expect(code === readFileSync(join(app, 'node_modules/pagerless/dist/functions', name, 'index.mjs'), 'utf8')).toBe(true);
      expect(code).toMatch(/from\s*"@aws-sdk\//);
    }
    expect(configs.size).toBe(1);
  });

  it('runs compiled by plain tsc and node too, with the same asset hashes for the same config', () => {
    // The init tsconfig with emit on: the app as CommonJS JavaScript, requiring the ESM package.
    run(join(BIN, 'tsc'), ['--noEmit', 'false', '--outDir', 'build', '--inlineSourceMap', 'false', '--inlineSources', 'false'], app);
    const outdir = join(work, 'cdk.out.node');
    execFileSync('sh', ['-c', `umask 077 && exec ${process.execPath} build/bin/monitoring.js`], { cwd: app, env: { ...offlineEnv(), CDK_OUTDIR: outdir }, stdio: 'pipe' });
    const second = readSynth(outdir);
    const keys = (s: Synth) => s.functions.map((f) => `${f.stack}/${f.id}:${f.s3Key}`).sort();
    expect(keys(second)).toHaveLength(6);
    expect(keys(second)).toEqual(keys(first));
  });
});
