/** The one-shot commands as a user runs them: validate, check, schema. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from 'node:http';
import { cli, close, listen, startTarget, tempDir, writeConfig } from './harness.ts';

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

/** A config whose secrets live in SSM and Secrets Manager, in every kind of key that holds one. */
const REFERENCES = `version: 1
settings: { home: us-east-1, regions: [us-east-1, eu-west-1] }
channels:
  hook: { type: webhook, url: "\${ssm:/pl/hook-url}", secret: "\${secret:pl/hook-secret}" }
services:
  - name: web
    alert: [hook]
    checks:
      - name: home
        http:
          url: "https://example.com/health?key=\${secret:pl/query-key}"
          headers: { X-Api-Key: "\${ssm:/pl/header}" }
          basicAuth: { username: ops, password: "\${secret:pl/basic}" }
      - name: nightly
        heartbeat: { token: "\${ssm:/pl/heartbeat-token}", every: 1h }
      - name: backup
        heartbeat: { token: "\${secret:pl/backup-token}", every: 1d }
`;

describe('pagerless validate --target aws: what cdk synth and cost accept', () => {
  it('accepts ${ssm:} and ${secret:} in a heartbeat token, a header, a basicAuth password and a URL query, as cost does', async () => {
    const file = writeConfig(tempDir(), REFERENCES);
    const aws = await cli(['validate', '--target', 'aws', '-c', file]);
    expect(aws.stderr).toBe('');
    expect(aws.code).toBe(0);
    expect(aws.stdout.trim()).toBe(`${file}: valid: 1 service, 3 checks (1 http, 2 heartbeat), 1 channel, 0 reactions`);
    const cost = await cli(['cost', '-c', file]);
    expect(cost.code).toBe(0);
    expect(cost.stdout).toContain('Total per month');
    // Locally the references cannot be resolved: rejected, as before.
    const local = await cli(['validate', '-c', file]);
    expect(local.code).toBe(1);
    expect(local.stderr).toContain('references are resolved only on AWS');
  });

  it('rejects a 5 s interval with the words cost prints (and local validate allows it)', async () => {
    const file = writeConfig(tempDir(), REFERENCES.replace('    alert: [hook]\n', '    alert: [hook]\n    interval: 5s\n'));
    const aws = await cli(['validate', '--target', 'aws', '-c', file]);
    const cost = await cli(['cost', '-c', file]);
    const message = `${file}:8:15: services[0].interval: interval 5s of web/home is under the 10s minimum on AWS`;
    expect(aws.code).toBe(1);
    expect(aws.stderr).toContain(message);
    expect(cost.code).toBe(1);
    expect(cost.stderr).toBe(aws.stderr);
    const plain = writeConfig(tempDir(), 'version: 1\ndefaults: { interval: 5s }\nservices:\n  - name: web\n    checks:\n      - name: home\n        http: { url: "https://example.com/" }\n');
    expect((await cli(['validate', '-c', plain])).code).toBe(0);
    expect((await cli(['validate', '--target', 'aws', '-c', plain])).code).toBe(1);
  });

  it('refuses an unknown target with usage, exit 2', async () => {
    const r = await cli(['validate', '--target', 'gcp', '-c', 'examples/monitors.yaml']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--target must be local or aws, not "gcp"');
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
    expect(lines.at(-1)).toMatch(/^4 checks: 2 ok, 1 failed, 1 skipped \(\d+\.\d s, at most 100 at once\)$/);
  });

  it('--only runs one check and exits 0 when it passes', async () => {
    const r = await cli(['check', '-c', writeConfig(tempDir(), config()), '--only', 'web/ok']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('1 checks: 1 ok, 0 failed, 0 skipped (');
    expect(r.stdout).not.toContain('wrong-body');
  });

  it('--only with an unknown check names the known ones', async () => {
    const r = await cli(['check', '-c', writeConfig(tempDir(), config()), '--only', 'web/nope']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--only web/nope: no such check or service (checks: web/ok, web/wrong-body, web/port, web/pushed)');
  });
});

describe('pagerless check at scale', () => {
  it('runs at most settings.concurrency checks at once and prints rows in config order', async () => {
    // Earlier checks answer later, so the order they finish in is the reverse of the config's.
    let open = 0;
    let most = 0;
    const paths: string[] = [];
    const server = createServer((req, res) => {
      paths.push(req.url!);
      most = Math.max(most, ++open);
      const n = Number(req.url!.slice(2));
      setTimeout(() => {
        open--;
        res.end('up');
      }, 40 * (10 - n));
    });
    const port = await listen(server);
    const checks = Array.from({ length: 10 }, (_, n) => `      - name: c${n}\n        http: { url: "http://127.0.0.1:${port}/c${n}" }`).join('\n');
    const file = writeConfig(tempDir(), `version: 1\nsettings: { concurrency: 3 }\nservices:\n  - name: web\n    checks:\n${checks}\n`);
    try {
      const r = await cli(['check', '-c', file]);
      expect(r.code).toBe(0);
      expect(paths).toHaveLength(10);
      expect(most).toBe(3);
      const rows = r.stdout.trim().split('\n').slice(1, -1).map((l) => l.split(/\s+/)[0]);
      expect(rows).toEqual(Array.from({ length: 10 }, (_, n) => `web/c${n}`));
      expect(r.stdout).toMatch(/10 checks: 10 ok, 0 failed, 0 skipped \(\d+\.\d s, at most 3 at once\)/);
    } finally {
      await close(server);
    }
  });

  it('prints every row of a 2,000-check table through a pipe, then the summary', async () => {
    const server = createServer((_req, res) => res.end('up'));
    const port = await listen(server);
    const services = Array.from({ length: 100 }, (_, s) => `  - name: s${s}\n    checks:\n${Array.from({ length: 20 }, (_, c) => `      - name: c${c}\n        tcp: { host: 127.0.0.1, port: ${port} }`).join('\n')}`);
    const file = writeConfig(tempDir(), `version: 1\nservices:\n${services.join('\n')}\n`);
    try {
      const r = await cli(['check', '-c', file]);
      const lines = r.stdout.trim().split('\n');
      expect(lines).toHaveLength(2_002);
      expect(lines[2_000]).toMatch(/^s99\/c19\s+OK/);
      expect(lines[2_001]).toMatch(/^2000 checks: 2000 ok, 0 failed, 0 skipped/);
    } finally {
      await close(server);
    }
  });
});

describe('pagerless --version', () => {
  it('prints the package version, as --version, -v and version', async () => {
    const { readFileSync } = await import('node:fs');
    const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    for (const flag of ['--version', '-v', 'version']) {
      const r = await cli([flag]);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(`pagerless ${version}\n`);
    }
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
