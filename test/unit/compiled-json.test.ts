/** The compiled config the functions load: a faithful round trip, references kept for cold start. */
import { describe, expect, it } from 'vitest';
import { statusMatches } from '../../shared/checks/assertions.ts';
import { hydrateCompiled, replaceReferences, secretReferences, serializeCompiled, withResolvedReferences } from '../../shared/config/compiled-json.ts';
import { parseConfig } from '../../shared/config/load.ts';

const YAML = `version: 1
settings: { home: us-east-1, regions: [us-east-1, eu-west-1] }
channels:
  team: { type: slack, url: "\${ssm:/pagerless/slack}" }
services:
  - name: web
    alert: [team]
    checks:
      - name: home
        http: { url: "https://example.com/", basicAuth: { username: m, password: "\${secret:web-pw}" } }
        expect: { status: "20[04]", body: "ok|fine", maxLatency: 800ms }
`;

describe('compiled config JSON', () => {
  it('round-trips checks, regions and expectations, regular expressions included', () => {
    const compiled = parseConfig(YAML, 'monitors.yaml', {}, { target: 'aws', secretRefs: 'placeholder' });
    const back = hydrateCompiled(serializeCompiled(compiled));
    expect(back.settings.regions).toEqual(['us-east-1', 'eu-west-1']);
    expect(back.checks[0]!.quorum).toBe(2);
    const status = back.checks[0]!.expect.status!;
    expect([200, 204, 201, 2004].map((s) => statusMatches(status, s))).toEqual([true, true, false, false]);
    expect(back.checks[0]!.expect.body!.test('all fine')).toBe(true);
    expect(back.checks[0]!.expect.maxLatencyMs).toBe(800);
    expect({ ...back, checks: [] }).toEqual({ ...compiled, checks: [] });
  });

  it('keeps ${ssm:} and ${secret:} references as written, and replaces them with values, never config text', () => {
    const back = hydrateCompiled(serializeCompiled(parseConfig(YAML, 'monitors.yaml', {}, { target: 'aws', secretRefs: 'placeholder' })));
    expect(secretReferences(back)).toEqual(['${ssm:/pagerless/slack}', '${secret:web-pw}']);
    const resolved = replaceReferences(back, new Map([['${ssm:/pagerless/slack}', 'https://hooks.slack.com/services/T/B/x'], ['${secret:web-pw}', 'p"w: #1']]));
    expect(resolved.channels.team!.spec.url).toBe('https://hooks.slack.com/services/T/B/x');
    expect(resolved.checks[0]!.spec.basicAuth.password).toBe('p"w: #1');
    expect(resolved.checks[0]!.expect.body).toBeInstanceOf(RegExp);
  });

  it('refuses a compiled config of another version', () => {
    expect(() => hydrateCompiled('{"v":99}')).toThrow('compiled config version 99 is not 1: redeploy with this version\'s cdk synth');
  });
});

describe('references in settings', () => {
  it('keeps a token from Secrets Manager as a reference even when another reference needed a stand-in', () => {
    const c = parseConfig(YAML.replace('settings: { home: us-east-1', 'settings: { statusToken: "${secret:status-token}", home: us-east-1'), 'monitors.yaml', {}, { target: 'aws', secretRefs: 'placeholder' });
    expect(c.settings.statusToken).toBe('${secret:status-token}');
    expect(c.channels.team!.spec.url).toBe('${ssm:/pagerless/slack}');
  });
});

describe('secrets in the compiled config', () => {
  const AWS = { target: 'aws', secretRefs: 'placeholder' } as const;
  const withUrl = (url: string) => `version: 1
settings: { home: us-east-1 }
services:
  - name: web
    checks:
      - name: home
        http: { url: "${url}" }
`;

  it('travels with the JSON: ${env:} values resolved at synth stay listed; a JSON from before lists none', () => {
    const compiled = parseConfig(withUrl('https://example.com/?key=${env:KEY}'), 'monitors.yaml', { KEY: 'env-s3cret' }, AWS);
    expect(compiled.checks[0]!.target).toBe('GET https://example.com/?key=***');
    expect(hydrateCompiled(serializeCompiled(compiled)).secrets).toEqual(['env-s3cret']);
    const old = JSON.parse(serializeCompiled(compiled)) as Record<string, unknown>;
    delete old.secrets;
    expect(hydrateCompiled(JSON.stringify(old)).secrets).toEqual([]);
  });

  it('shows a reference as written in the target, never the stand-in validated in its place', () => {
    const compiled = parseConfig(withUrl('${ssm:/web/url}'), 'monitors.yaml', {}, AWS);
    expect(compiled.checks[0]!.spec.url).toBe('${ssm:/web/url}');
    expect(compiled.checks[0]!.target).toBe('GET ${ssm:/web/url}');
  });

  it('withResolvedReferences puts the values in the specs and in secrets, and leaves the target as compiled', () => {
    const back = hydrateCompiled(serializeCompiled(parseConfig(YAML, 'monitors.yaml', {}, AWS)));
    const resolved = new Map([['${ssm:/pagerless/slack}', 'https://hooks.slack.com/services/T/B/x'], ['${secret:web-pw}', 'p"w: #1']]);
    const out = withResolvedReferences(back, resolved);
    expect(out.channels.team!.spec.url).toBe('https://hooks.slack.com/services/T/B/x');
    expect(out.checks[0]!.spec.basicAuth.password).toBe('p"w: #1');
    expect(out.checks[0]!.target).toBe(back.checks[0]!.target);
    expect(out.secrets).toEqual(['https://hooks.slack.com/services/T/B/x', 'p"w: #1']);
    expect(out.checks[0]!.expect.body).toBeInstanceOf(RegExp);
    expect(withResolvedReferences(back, new Map())).toBe(back);
  });
});
