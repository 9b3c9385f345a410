/**
 * The one check-kind table: each kind's capabilities live on its descriptor, the helpers answer
 * from it, the config schema is derived from it, and the runtime side loads without zod.
 */
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import {
  CHECK_KIND_NAMES,
  checkKinds,
  expectKeysOf,
  failuresConfirmed,
  hasDeadline,
  hookSourceOf,
  isProbed,
  isPushed,
  isScheduled,
  kindOf,
  minIntervalMs,
  pingEveryMs,
  pingTokenOf,
  probeOf,
  roundIntervalMs,
} from '../../shared/checks/index.ts';
import { probes, PUSHED_KINDS } from '../../shared/checks/probes.ts';
import { parseConfig } from '../../shared/config/load.ts';
import { checkSchema } from '../../shared/config/schema.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

const CONFIG = `version: 1
services:
  - name: shop
    checks:
      - name: api
        http: { url: "https://shop.example.com/health" }
        interval: 30s
      - name: db
        tcp: { host: db.internal, port: 5432 }
      - name: backup
        heartbeat: { token: nightly-backup-token, every: 24h, grace: 1h }
        interval: 5s
      - name: alerts
        webhook: { source: generic }
`;

const check = (id: string) => {
  const found = parseConfig(CONFIG, 'monitors.yaml', {}).checks.find((c) => c.id === id);
  if (!found) throw new Error(`no check ${id}`);
  return found;
};

describe('the check-kind table', () => {
  it('registers each kind under its own name', () => {
    for (const name of CHECK_KIND_NAMES) expect(checkKinds[name].kind).toBe(name);
  });

  it('gives every scheduled kind a probe and interval rules, and a kind that is never scheduled neither', () => {
    for (const name of CHECK_KIND_NAMES) {
      const k = checkKinds[name];
      if (k.schedule === 'none') {
        expect(k.probe, name).toBeUndefined();
        expect(k.interval, name).toBeUndefined();
      } else {
        expect(typeof k.probe, name).toBe('function');
        expect(k.interval?.local.minMs, name).toBeGreaterThan(0);
        expect(k.interval?.aws.minMs, name).toBeGreaterThan(0);
      }
    }
  });

  it('derives the check keys of the config schema from the table', () => {
    const keys = Object.keys(checkSchema.shape);
    for (const name of CHECK_KIND_NAMES) expect(keys).toContain(name);
  });

  it('lists only expect keys the config schema knows', () => {
    const expectKeys = Object.keys((checkSchema.shape.expect.unwrap() as unknown as { shape: object }).shape);
    for (const name of CHECK_KIND_NAMES) for (const key of expectKeysOf(name)) expect(expectKeys, `${name}: ${key}`).toContain(key);
  });

  it('refuses a kind that is not in the table, naming the known ones', () => {
    expect(() => kindOf('dns')).toThrow('unknown check kind "dns" (known: http, tcp, heartbeat, webhook)');
    expect(() => kindOf('constructor')).toThrow('unknown check kind "constructor"');
  });
});

describe('what the helpers answer for each kind', () => {
  it.each([
    // id, scheduled, probed, deadline, pushed, confirmed
    ['shop/api', true, true, false, false, false],
    ['shop/db', true, true, false, false, false],
    ['shop/backup', true, false, true, true, true],
    ['shop/alerts', false, false, false, true, true],
  ])('%s: scheduled %s, probed %s, deadline %s, pushed %s, failures confirmed %s', (id, scheduled, probed, deadline, pushed, confirmed) => {
    const c = check(id);
    expect([isScheduled(c), isProbed(c), hasDeadline(c), isPushed(c), failuresConfirmed(c)]).toEqual([scheduled, probed, deadline, pushed, confirmed]);
    expect(probeOf(c) !== undefined).toBe(scheduled);
  });

  it('minimum intervals: 1s locally, 10s on AWS for probed kinds; none for a pushed kind', () => {
    expect([minIntervalMs('http', 'local'), minIntervalMs('http', 'aws')]).toEqual([1_000, 10_000]);
    expect([minIntervalMs('tcp', 'local'), minIntervalMs('tcp', 'aws')]).toEqual([1_000, 10_000]);
    expect([minIntervalMs('heartbeat', 'local'), minIntervalMs('heartbeat', 'aws')]).toEqual([1_000, 1_000]);
    expect(minIntervalMs('webhook', 'aws')).toBeUndefined();
  });

  it('rounds: a heartbeat runs at most once a minute on AWS, at its interval locally', () => {
    expect(roundIntervalMs(check('shop/backup'), 'local')).toBe(5_000);
    expect(roundIntervalMs(check('shop/backup'), 'aws')).toBe(60_000);
    expect(roundIntervalMs(check('shop/api'), 'aws')).toBe(30_000);
  });

  it('reads the ping token and ping interval of a heartbeat and the hook source of a webhook, and nothing of other kinds', () => {
    expect(pingTokenOf(check('shop/backup'))).toBe('nightly-backup-token');
    expect(pingEveryMs(check('shop/backup'))).toBe(86_400_000);
    expect(hookSourceOf(check('shop/alerts'))).toBe('generic');
    for (const id of ['shop/api', 'shop/db']) {
      expect(pingTokenOf(check(id))).toBeUndefined();
      expect(pingEveryMs(check(id))).toBeUndefined();
      expect(hookSourceOf(check(id))).toBeUndefined();
    }
    expect(pingTokenOf(check('shop/alerts'))).toBeUndefined();
    expect(hookSourceOf(check('shop/backup'))).toBeUndefined();
  });

  it('keeps the deprecated views (probes, PUSHED_KINDS) derived from the table', () => {
    expect(Object.keys(probes).sort()).toEqual(CHECK_KIND_NAMES.filter((k) => checkKinds[k].probe).sort());
    expect([...PUSHED_KINDS].sort()).toEqual(CHECK_KIND_NAMES.filter((kind) => isPushed({ kind })).sort());
    expect(checkKinds.http.mode).toBe('probe');
    expect(checkKinds.heartbeat.mode).toBe('probe');
    expect(checkKinds.webhook.mode).toBe('push');
  });
});

describe('the runtime side of the table', () => {
  it('bundles without zod (the Lambda prober imports it)', async () => {
    const out = await build({
      stdin: { contents: "export * from './shared/checks/index.ts'; export * from './shared/checks/probes.ts';", resolveDir: ROOT, loader: 'ts' },
      bundle: true, write: false, metafile: true, platform: 'node', format: 'esm', logLevel: 'silent',
    });
    const inputs = Object.keys(out.metafile.inputs);
    expect(inputs).toContain('shared/checks/http.ts');
    expect(inputs.filter((p) => p.includes('node_modules/zod'))).toEqual([]);
  });
});
