/** What the app reads from monitors.yaml: the same validation as `pagerless validate`, secret and env references, regions. */
import { describe, expect, it } from 'vitest';
import { expectsSteadyResults, loadSynthConfig, referencedSecrets, synthConfigFromText } from '../../infra/config.ts';
import { hydrateCompiled, secretReferences as compiledReferences } from '../../shared/config/compiled-json.ts';
import { ConfigError, loadAwsConfig, loadConfig } from '../../shared/config/load.ts';
import { writeConfig } from './support.ts';

const service = `services:
  - name: shop
    checks:
      - name: home
        http: { url: https://shop.example.com/ }
`;

/** Secrets in SSM and Secrets Manager, in every kind of key that holds one. */
const REFERENCES = `version: 1
services:
  - name: web
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

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loadSynthConfig', () => {
  it('rejects a bad file with the message `pagerless validate` prints', () => {
    const file = writeConfig(`version: 1
services:
  - name: Shop!
    checks:
      - name: home
        http: { url: "htp://x" }
`);
    const synth = errorOf(() => loadSynthConfig(file, {}));
    expect(synth.message).toBe(errorOf(() => loadConfig(file, {})).message);
    expect(synth.message).toMatch(/:3:\d+: services\[0\]\.name: /);
    expect(synth.message).toMatch(/:6:\d+: services\[0\]\.checks\[0\]\.http\.url: "htp:\/\/x"/);
  });

  it('words a missing file as validate does', () => {
    const missing = '/nonexistent/monitors.yaml';
    expect(errorOf(() => loadSynthConfig(missing, {})).message).toBe(errorOf(() => loadConfig(missing, {})).message);
  });

  it('applies the AWS rules: the 10s minimum interval', () => {
    const file = writeConfig(`version: 1\ndefaults: { interval: 5s }\n${service}`);
    expect(() => loadConfig(file, {})).not.toThrow();
    expect(errorOf(() => loadSynthConfig(file, {})).message).toContain('under the 10s minimum on AWS');
  });

  it('accepts ${ssm:} and ${secret:} references (resolved at cold start), which validate rejects locally', () => {
    const file = writeConfig(`version: 1\nsettings: { statusToken: "\${secret:pl/token}" }\n${service}`);
    expect(() => loadSynthConfig(file, {})).not.toThrow();
  });

  it('synthesizes ${ssm:}/${secret:} in a heartbeat token, a header, a basicAuth password and a URL query, kept as written for cold start', () => {
    const file = writeConfig(REFERENCES);
    const synth = loadSynthConfig(file, {});
    const spec = (id: string) => synth.config.checks.find((c) => c.id === id)!.spec as Record<string, unknown>;
    expect(spec('web/nightly').token).toBe('${ssm:/pl/heartbeat-token}');
    expect(spec('web/backup').token).toBe('${secret:pl/backup-token}');
    expect(spec('web/home')).toMatchObject({ url: 'https://example.com/health?key=${secret:pl/query-key}', headers: { 'X-Api-Key': '${ssm:/pl/header}' }, basicAuth: { password: '${secret:pl/basic}' } });
    expect(synth.compiledJson).not.toContain('stand-in');
    // One function for synth, `validate --target aws` and `cost`: the same compiled config.
    expect(loadAwsConfig(file, {}).config).toEqual(synth.config);
  });

  it('two heartbeats naming the same secret still share a token (rejected), different secrets do not', () => {
    const same = REFERENCES.replace('${secret:pl/backup-token}', '${ssm:/pl/heartbeat-token}');
    expect(errorOf(() => loadSynthConfig(writeConfig(same), {})).message).toContain('heartbeat token already used by web/nightly');
  });

  it('rejects a 5 s interval with the message validate --target aws and cost print', () => {
    const file = writeConfig(REFERENCES.replace('    checks:\n      - name: home', '    interval: 5s\n    checks:\n      - name: home'));
    const message = errorOf(() => loadSynthConfig(file, {})).message;
    expect(message).toBe(`${file}:4:15: services[0].interval: interval 5s of web/home is under the 10s minimum on AWS`);
    expect(errorOf(() => loadAwsConfig(file, {})).message).toBe(message);
  });

  it('home: settings.home, else the first prober region, else us-east-1; regions deduplicated', () => {
    expect(synthConfigFromText(`version: 1\n${service}`, 'm.yaml', {})).toMatchObject({ home: 'us-east-1', regions: ['us-east-1'] });
    expect(synthConfigFromText(`version: 1\nsettings: { regions: [eu-west-1, us-east-1, eu-west-1] }\n${service}`, 'm.yaml', {}))
      .toMatchObject({ home: 'eu-west-1', regions: ['eu-west-1', 'us-east-1'] });
    expect(synthConfigFromText(`version: 1\nsettings: { home: eu-central-1 }\n${service}`, 'm.yaml', {}))
      .toMatchObject({ home: 'eu-central-1', regions: ['eu-central-1'] });
  });
});

describe('the compiled config the functions load', () => {
  it('round-trips: the same checks, ${env:} resolved at synth, ${ssm:}/${secret:} kept for cold start', () => {
    const text = `version: 1
settings: { ingestToken: "\${env:PL_T:-none}", home: eu-west-1 }
channels:
  team: { type: slack, url: "\${ssm:/pl/slack}" }
${service.replace('    checks:', '    alert: [team]\n    checks:')}`;
    const synth = synthConfigFromText(text, 'm.yaml', { PL_T: 'from-env' });
    const loaded = hydrateCompiled(synth.compiledJson);
    expect(loaded.checks.map((c) => c.id)).toEqual(['shop/home']);
    expect(loaded.settings.ingestToken).toBe('from-env');
    expect(compiledReferences(loaded)).toEqual(['${ssm:/pl/slack}']);
    expect(loaded.checks[0]!.expect.status).toEqual(synth.config.checks[0]!.expect.status);
  });
});

describe('the references each function resolves (and may read)', () => {
  const text = `version: 1
# a comment naming \${secret:not-used} is not a reference
settings: { statusToken: "\${secret:status-token}", home: eu-west-1 }
channels:
  team: { type: slack, url: "\${ssm:/pl/slack}" }
services:
  - name: shop
    alert: [team]
    checks:
      - name: home
        http: { url: https://shop.example.com/, headers: { authorization: "Bearer \${secret:shop/probe-token}" } }
`;
  const config = synthConfigFromText(text, 'm.yaml', {}).config;

  it('the prober: its checks\' only; the HTTP functions: also the tokens; the senders: also the channels\'', () => {
    expect(referencedSecrets(config, 'probe')).toEqual({ ssm: [], secrets: ['shop/probe-token'] });
    expect(referencedSecrets(config, 'serve')).toEqual({ ssm: [], secrets: ['shop/probe-token', 'status-token'] });
    expect(referencedSecrets(config, 'all')).toEqual({ ssm: ['/pl/slack'], secrets: ['shop/probe-token', 'status-token'] });
  });
});

describe('expectsSteadyResults', () => {
  it('is true with probed checks or heartbeats, false when every check is pushed', () => {
    const probed = synthConfigFromText(`version: 1\n${service}`, 'm.yaml', {}).config;
    const pushed = synthConfigFromText('version: 1\nservices:\n  - name: x\n    checks:\n      - name: h\n        webhook: { source: generic }\n', 'm.yaml', {}).config;
    const heartbeat = synthConfigFromText('version: 1\nservices:\n  - name: x\n    checks:\n      - name: h\n        heartbeat: { token: nightly-job-token, every: 1h }\n', 'm.yaml', {}).config;
    expect(expectsSteadyResults(probed)).toBe(true);
    expect(expectsSteadyResults(heartbeat)).toBe(true);
    expect(expectsSteadyResults(pushed)).toBe(false);
  });
});
