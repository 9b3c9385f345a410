/** The one-shot commands as a user runs them: validate, check, schema. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, startTarget, tempDir, writeConfig } from './harness.ts';

let target: Awaited<ReturnType<typeof startTarget>>;
beforeAll(async () => {
  target = await startTarget();
});
afterAll(() => target.close());

describe('pagerless validate', () => {
  it('exits 0 with a one-line summary for the example config', async () => {
    const r = await cli(['validate', '-c', 'examples/monitors.yaml']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe('examples/monitors.yaml: valid: 2 services, 5 checks (2 http, 1 tcp, 1 heartbeat, 1 webhook), 1 channel, 1 reaction');
  });

  it('exits 1 with file:line:col, key path and reason, and no stack trace', async () => {
    const file = writeConfig(tempDir(), `version: 1
services:
  - name: web
    checks:
      - name: home
        http: { url: "http://127.0.0.1/", methd: GET }
        interval: 5 minutes
`);
    const r = await cli(['validate', '-c', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${file}:6:43: services[0].checks[0].http.methd: unknown key "methd"`);
    expect(r.stderr).toContain(`${file}:7:19: services[0].checks[0].interval: "5 minutes" is not a duration`);
    expect(r.stderr).toContain('2 errors in the config');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('takes the file from PAGERLESS_CONFIG and says when it does not exist', async () => {
    const r = await cli(['validate'], { PAGERLESS_CONFIG: '/nonexistent/monitors.yaml' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('/nonexistent/monitors.yaml:1:1: (top level): cannot read the config: file not found');
  });

  it('rejects unknown commands and flags with usage, exit 2', async () => {
    expect((await cli(['frobnicate'])).code).toBe(2);
    const r = await cli(['validate', '--bogus']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Unknown option '--bogus'");
  });
});

describe('pagerless check', () => {
  const config = () => `version: 1
defaults: { timeout: 1s }
services:
  - name: web
    checks:
      - name: ok
        http: { url: "${target.url}" }
        expect: { body: "good" }
      - name: wrong-body
        http: { url: "${target.url}" }
        expect: { body: "^maintenance$" }
      - name: port
        tcp: { host: 127.0.0.1, port: ${target.port} }
      - name: pushed
        webhook: { source: generic }
`;

  it('prints a table of verdicts and exits 1 when a check fails', async () => {
    const r = await cli(['check', '-c', writeConfig(tempDir(), config())]);
    expect(r.code).toBe(1);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^CHECK\s+VERDICT\s+LATENCY\s+REASON$/);
    expect(lines.find((l) => l.startsWith('web/ok '))).toMatch(/^web\/ok\s+OK\s+\d+ ms\s+status 200$/);
    expect(lines.find((l) => l.startsWith('web/wrong-body'))).toMatch(/FAIL\s+\d+ ms\s+body does not match \/\^maintenance\$\/$/);
    expect(lines.find((l) => l.startsWith('web/port'))).toMatch(/OK/);
    expect(lines.find((l) => l.startsWith('web/pushed'))).toMatch(/SKIP/);
    expect(lines.at(-1)).toBe('4 checks: 2 ok, 1 failed, 1 skipped');
  });

  it('--only runs one check and exits 0 when it passes', async () => {
    const r = await cli(['check', '-c', writeConfig(tempDir(), config()), '--only', 'web/ok']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('1 checks: 1 ok, 0 failed, 0 skipped');
    expect(r.stdout).not.toContain('wrong-body');
  });

  it('--only with an unknown check names the known ones', async () => {
    const r = await cli(['check', '-c', writeConfig(tempDir(), config()), '--only', 'web/nope']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--only web/nope: no such check or service (checks: web/ok, web/wrong-body, web/port, web/pushed)');
  });
});

describe('pagerless schema', () => {
  it('prints a JSON Schema that describes the config keys', async () => {
    const r = await cli(['schema']);
    expect(r.code).toBe(0);
    const schema = JSON.parse(r.stdout);
    expect(schema.$schema).toMatch(/json-schema\.org/);
    expect(schema.required).toEqual(expect.arrayContaining(['version', 'services']));
    expect(schema.additionalProperties).toBe(false);
    const check = schema.properties.services.items.properties.checks.items;
    expect(Object.keys(check.properties)).toEqual(expect.arrayContaining(['http', 'tcp', 'heartbeat', 'webhook', 'expect', 'interval']));
    expect(check.properties.interval.pattern).toBeDefined();
  });

  it('is the committed monitors.schema.json (regenerate with `npx pagerless schema > monitors.schema.json`)', async () => {
    const { readFileSync } = await import('node:fs');
    expect(JSON.parse(readFileSync('monitors.schema.json', 'utf8'))).toEqual(JSON.parse((await cli(['schema'])).stdout));
  });
});
