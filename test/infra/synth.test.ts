/**
 * `npx cdk synth` as a user runs it: offline, no credentials. A bad config fails synth with the
 * words `pagerless validate` prints; a good one bundles every function with its compiled config.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hydrateCompiled, serializeCompiled } from '../../shared/config/compiled-json.ts';
import { ConfigError, loadConfig, parseConfig } from '../../shared/config/load.ts';
import { MULTI_REGION, REGIONS, ROOT, writeConfig } from './support.ts';

const CDK = join(ROOT, 'node_modules/.bin/cdk');
const CLI = join(ROOT, 'bin/pagerless.js');

/** The environment without AWS credentials or profile: synth must not need them. */
function offlineEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(AWS_|CDK_)/.test(k)) env[k] = v;
  return { ...env, AWS_EC2_METADATA_DISABLED: 'true', ...extra };
}

function synth(args: string[], env: NodeJS.ProcessEnv) {
  const outdir = mkdtempSync(join(tmpdir(), 'pagerless-synth-'));
  const r = spawnSync(CDK, ['synth', '-q', '--no-notices', '-o', outdir, ...args], { cwd: ROOT, env, encoding: 'utf8', timeout: 240_000 });
  return { ...r, outdir };
}

function validate(file: string) {
  return spawnSync(process.execPath, [CLI, 'validate', '-c', file], { cwd: ROOT, env: offlineEnv(), encoding: 'utf8' });
}

const BAD = `version: 1
services:
  - name: shop
    checks:
      - name: home
        http: { url: "htp://shop.example.com/" }
      - name: db
        tcp: { host: db.example.com, port: 99999 }
`;

function configError(file: string): ConfigError {
  try {
    loadConfig(file, {});
  } catch (err) {
    if (err instanceof ConfigError) return err;
  }
  throw new Error('expected a ConfigError');
}

describe('npx cdk synth', () => {
  it('fails on a bad -c config=PATH with the message of `pagerless validate`', () => {
    const file = writeConfig(BAD);
    const expected = validate(file);
    expect(expected.status).toBe(1);
    expect(expected.stderr).toContain(configError(file).message);

    const r = synth(['-c', `config=${file}`], offlineEnv());
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(expected.stderr);
    expect(r.stderr).toContain(`${configError(file).message}\n2 errors in the config\n`);
    expect(existsSync(join(r.outdir, 'manifest.json'))).toBe(false);
  }, 240_000);

  it('reads PAGERLESS_CONFIG when no -c config is given', () => {
    const file = writeConfig(BAD);
    const r = synth([], offlineEnv({ PAGERLESS_CONFIG: file }));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(validate(file).stderr);
  }, 240_000);

  it('synthesises a good config offline: a core stack and a prober stack per region, each function bundled with monitors.json', () => {
    const file = writeConfig(MULTI_REGION);
    const r = synth(['-c', `config=${file}`], offlineEnv());
    expect(r.status).toBe(0);
    const manifest = JSON.parse(readFileSync(join(r.outdir, 'manifest.json'), 'utf8')) as { artifacts: Record<string, { type: string; environment?: string }> };
    const stacks = Object.entries(manifest.artifacts).filter(([, a]) => a.type === 'aws:cloudformation:stack');
    expect(Object.fromEntries(stacks.map(([id, a]) => [id, a.environment]))).toEqual({
      Pagerless: 'aws://unknown-account/eu-west-1',
      ...Object.fromEntries(REGIONS.map((region) => [`Pagerless-Prober-${region}`, `aws://unknown-account/${region}`])),
    });
    // Every function's code asset: an ESM bundle and the compiled config the runtime loads.
    const compiled = serializeCompiled(parseConfig(MULTI_REGION, file, offlineEnv(), { target: 'aws', secretRefs: 'placeholder' }));
    const functions = stacks.flatMap(([id]) => {
      const template = JSON.parse(readFileSync(join(r.outdir, `${id}.template.json`), 'utf8')) as { Resources: Record<string, { Type: string; Metadata?: Record<string, string> }> };
      return Object.values(template.Resources).filter((res) => res.Type === 'AWS::Lambda::Function');
    });
    expect(functions).toHaveLength(4 + REGIONS.length);
    for (const fn of functions) {
      const asset = join(r.outdir, fn.Metadata!['aws:asset:path']!);
      expect(existsSync(join(asset, 'index.mjs'))).toBe(true);
      expect(readFileSync(join(asset, 'monitors.json'), 'utf8')).toBe(compiled);
      expect(hydrateCompiled(readFileSync(join(asset, 'monitors.json'), 'utf8')).checks.map((c) => c.id)).toEqual(['shop/home', 'shop/db', 'jobs/nightly', 'jobs/dd']);
    }
  }, 240_000);
});
