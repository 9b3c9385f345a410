/**
 * monitors.yaml as a user writes it: every class of mistake is reported as `file:line:col: key.path:
 * reason`, and a good file compiles with inheritance defaults -> service -> check resolved.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { compileConfig, type CompiledCheck, type CompiledConfig } from '../../shared/config/compile.ts';
import { ConfigError, loadConfig, parseConfig, type Env, type KeyPath } from '../../shared/config/load.ts';
import { configSchema } from '../../shared/config/schema.ts';
import { statusMatches } from '../../shared/checks/assertions.ts';

const FILE = 'monitors.yaml';
const EXAMPLE = fileURLToPath(new URL('../../examples/monitors.yaml', import.meta.url));

/** The lines of a YAML file; argument n is line n + 1, so positions can be read off the test. */
function lines(...text: string[]): string {
  return `${text.join('\n')}\n`;
}

/** One valid service with one http check, appended to files whose mistake is elsewhere. */
const SERVICE = [
  'services:',
  '  - name: shop',
  '    checks:',
  '      - name: api',
  '        http: { url: "https://shop.example.com/health" }',
];

function configError(text: string, env: Env = {}): ConfigError {
  try {
    parseConfig(text, FILE, env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError, but the config was accepted');
}

interface Expected {
  /** `line:col`, 1-based. */
  at: string;
  /** The key path as the message prints it. */
  key: string;
  path: KeyPath;
  reason: string;
}

/** The file has exactly this one problem, worded exactly so. */
function expectOnlyIssue(text: string, e: Expected, env: Env = {}): void {
  const err = configError(text, env);
  const [line, col] = e.at.split(':').map(Number);
  expect(err.message).toBe(`${FILE}:${e.at}: ${e.key}: ${e.reason}`);
  expect(err.issues).toEqual([{ file: FILE, line, col, path: e.path, message: e.reason }]);
  expect(err.name).toBe('ConfigError');
  expect(err.code).toBe('CONFIG_INVALID');
}

function compile(text: string, env: Env = {}): CompiledConfig {
  return parseConfig(text, FILE, env);
}

function checkById(cfg: CompiledConfig, id: string): CompiledCheck {
  const found = cfg.checks.find((c) => c.id === id);
  if (!found) throw new Error(`no check ${id} in ${cfg.checks.map((c) => c.id).join(', ')}`);
  return found;
}

describe('unknown keys', () => {
  it('in settings', () => {
    expectOnlyIssue(lines('version: 1', 'settings:', '  statusTokn: abc', ...SERVICE), {
      at: '3:3',
      key: 'settings.statusTokn',
      path: ['settings', 'statusTokn'],
      reason: 'unknown key "statusTokn"',
    });
  });

  it('at the top level', () => {
    expectOnlyIssue(lines('version: 1', 'setting: {}', ...SERVICE), {
      at: '2:1',
      key: 'setting',
      path: ['setting'],
      reason: 'unknown key "setting"',
    });
  });

  it('in a check', () => {
    expectOnlyIssue(lines('version: 1', ...SERVICE, '        retires: 2'), {
      at: '7:9',
      key: 'services[0].checks[0].retires',
      path: ['services', 0, 'checks', 0, 'retires'],
      reason: 'unknown key "retires"',
    });
  });

  it('in an http spec', () => {
    expectOnlyIssue(
      lines(
        'version: 1',
        'services:',
        '  - name: shop',
        '    checks:',
        '      - name: api',
        '        http:',
        '          url: https://shop.example.com/health',
        '          methd: GET',
      ),
      { at: '8:11', key: 'services[0].checks[0].http.methd', path: ['services', 0, 'checks', 0, 'http', 'methd'], reason: 'unknown key "methd"' },
    );
  });

  it('in a channel', () => {
    expectOnlyIssue(
      lines('version: 1', 'channels:', '  team: { type: slack, url: "https://hooks.slack.com/x", channel: "#ops" }', ...SERVICE),
      { at: '3:58', key: 'channels.team.channel', path: ['channels', 'team', 'channel'], reason: 'unknown key "channel"' },
    );
  });
});

describe('durations', () => {
  it('a bad duration in defaults quotes the value and shows the accepted form', () => {
    expectOnlyIssue(lines('version: 1', 'defaults:', '  interval: 5x', ...SERVICE), {
      at: '3:13',
      key: 'defaults.interval',
      path: ['defaults', 'interval'],
      reason: '"5x" is not a duration (use a number and a unit: 500ms, 30s, 5m, 24h, 7d)',
    });
  });

  it('a duration without a unit in expect.maxLatency', () => {
    expectOnlyIssue(lines('version: 1', ...SERVICE, '        expect: { maxLatency: "800" }'), {
      at: '7:31',
      key: 'services[0].checks[0].expect.maxLatency',
      path: ['services', 0, 'checks', 0, 'expect', 'maxLatency'],
      reason: '"800" is not a duration: write 800ms for milliseconds or 800s for seconds (use a number and a unit: 500ms, 30s, 5m, 24h, 7d)',
    });
  });

  it('a duration written as a bare number in a reaction', () => {
    expectOnlyIssue(
      lines('version: 1', 'reactions:', '  restart: { type: webhook, url: "http://127.0.0.1:9/r", cooldown: 5 }', ...SERVICE),
      { at: '3:68', key: 'reactions.restart.cooldown', path: ['reactions', 'restart', 'cooldown'], reason: '5 is not a duration: write 5s for 5 seconds (use a number and a unit: 500ms, 30s, 5m, 24h, 7d)' },
    );
  });
});

describe('references between keys (checked once the file matches the schema)', () => {
  it('an unknown channel id in a service alert lists the defined channels', () => {
    expectOnlyIssue(
      lines(
        'version: 1',
        'channels:',
        '  team: { type: console }',
        'services:',
        '  - name: shop',
        '    alert: [team, pager]',
        '    checks:',
        '      - name: api',
        '        http: { url: "https://shop.example.com/health" }',
      ),
      { at: '6:19', key: 'services[0].alert[1]', path: ['services', 0, 'alert', 1], reason: 'unknown channel "pager" (defined: team)' },
    );
  });

  it('an unknown channel id in a check alert says none are defined', () => {
    expectOnlyIssue(lines('version: 1', ...SERVICE, '        alert: [pager]'), {
      at: '7:17',
      key: 'services[0].checks[0].alert[0]',
      path: ['services', 0, 'checks', 0, 'alert', 0],
      reason: 'unknown channel "pager" (no channels are defined)',
    });
  });

  it('an unknown channel id in settings.summary', () => {
    expectOnlyIssue(
      lines('version: 1', 'settings:', '  summary: { every: 24h, channels: [team] }', ...SERVICE),
      { at: '3:37', key: 'settings.summary.channels[0]', path: ['settings', 'summary', 'channels', 0], reason: 'unknown channel "team" (no channels are defined)' },
    );
  });

  it('an unknown reaction id in react', () => {
    expectOnlyIssue(
      lines('version: 1', 'reactions:', '  restart: { type: webhook, url: "http://127.0.0.1:9/r" }', ...SERVICE, '        react: [reboot]'),
      { at: '9:17', key: 'services[0].checks[0].react[0]', path: ['services', 0, 'checks', 0, 'react', 0], reason: 'unknown reaction "reboot" (defined: restart)' },
    );
  });

  // Regression: `id in table` also found Object.prototype's members, so `constructor` and
  // `__proto__` passed as defined channel and reaction ids.
  it('an id that is only an Object.prototype member is still unknown (alert: [constructor])', () => {
    expectOnlyIssue(lines('version: 1', ...SERVICE, '        alert: [constructor]'), {
      at: '7:17',
      key: 'services[0].checks[0].alert[0]',
      path: ['services', 0, 'checks', 0, 'alert', 0],
      reason: 'unknown channel "constructor" (no channels are defined)',
    });
  });

  it('an id that is only an Object.prototype member is still unknown (react: [__proto__])', () => {
    expectOnlyIssue(lines('version: 1', ...SERVICE, '        react: [__proto__]'), {
      at: '7:17',
      key: 'services[0].checks[0].react[0]',
      path: ['services', 0, 'checks', 0, 'react', 0],
      reason: 'unknown reaction "__proto__" (no reactions are defined)',
    });
  });

  it('a duplicate service name points at the second one', () => {
    expectOnlyIssue(
      lines(
        'version: 1',
        'services:',
        '  - name: shop',
        '    checks:',
        '      - name: api',
        '        tcp: { host: db.internal, port: 5432 }',
        '  - name: shop',
        '    checks:',
        '      - name: web',
        '        tcp: { host: web.internal, port: 80 }',
      ),
      { at: '7:11', key: 'services[1].name', path: ['services', 1, 'name'], reason: 'duplicate service name "shop"' },
    );
  });

  it('a duplicate check name points at the second one and names the service', () => {
    expectOnlyIssue(
      lines(
        'version: 1',
        'services:',
        '  - name: shop',
        '    checks:',
        '      - name: db',
        '        tcp: { host: db.internal, port: 5432 }',
        '      - name: db',
        '        tcp: { host: db.internal, port: 5433 }',
      ),
      { at: '7:15', key: 'services[0].checks[1].name', path: ['services', 0, 'checks', 1, 'name'], reason: 'duplicate check name "db" in service "shop"' },
    );
  });

  it('the same check name in two services is fine', () => {
    const cfg = compile(
      lines(
        'version: 1',
        'services:',
        '  - name: shop',
        '    checks:',
        '      - name: db',
        '        tcp: { host: db.internal, port: 5432 }',
        '  - name: blog',
        '    checks:',
        '      - name: db',
        '        tcp: { host: db.internal, port: 5433 }',
      ),
    );
    expect(cfg.checks.map((c) => c.id)).toEqual(['shop/db', 'blog/db']);
  });

  it('a check with no kind lists the kinds to choose from', () => {
    expectOnlyIssue(lines('version: 1', 'services:', '  - name: shop', '    checks:', '      - name: api', '        interval: 30s'), {
      at: '5:9',
      key: 'services[0].checks[0]',
      path: ['services', 0, 'checks', 0],
      reason: 'check "api" has no kind: give it exactly one of http, tcp, heartbeat, webhook',
    });
  });

  it('a check with two kinds names both', () => {
    expectOnlyIssue(lines('version: 1', ...SERVICE, '        tcp: { host: shop.example.com, port: 443 }'), {
      at: '5:9',
      key: 'services[0].checks[0]',
      path: ['services', 0, 'checks', 0],
      reason: 'check "api" has 2 kinds (http, tcp): give it exactly one',
    });
  });

  it('an interval under 1s in defaults', () => {
    expectOnlyIssue(lines('version: 1', 'defaults:', '  interval: 500ms', ...SERVICE), {
      at: '3:13',
      key: 'defaults.interval',
      path: ['defaults', 'interval'],
      reason: 'interval 500ms is under the 1s minimum',
    });
  });

  it('an interval under 1s in a service', () => {
    expectOnlyIssue(
      lines('version: 1', 'services:', '  - name: shop', '    interval: 999ms', '    checks:', '      - name: api', '        http: { url: "https://shop.example.com/health" }'),
      { at: '4:15', key: 'services[0].interval', path: ['services', 0, 'interval'], reason: 'interval 999ms is under the 1s minimum' },
    );
  });

  it('an interval under 1s in a check', () => {
    expectOnlyIssue(lines('version: 1', ...SERVICE, '        interval: 0s'), {
      at: '7:19',
      key: 'services[0].checks[0].interval',
      path: ['services', 0, 'checks', 0, 'interval'],
      reason: 'interval 0s is under the 1s minimum',
    });
  });

  it('an interval of exactly 1s is allowed', () => {
    const cfg = compile(lines('version: 1', ...SERVICE, '        interval: 1s'));
    expect(checkById(cfg, 'shop/api').intervalMs).toBe(1_000);
  });
});

describe('settings.name (the deployment name, issue 7)', () => {
  it('defaults to pagerless', () => {
    expect(compile(lines('version: 1', ...SERVICE)).settings.name).toBe('pagerless');
    expect(compile(lines('version: 1', 'settings: { name: shop-eu-2 }', ...SERVICE)).settings.name).toBe('shop-eu-2');
  });

  it('a name with capitals or underscores says what a name may be', () => {
    expectOnlyIssue(lines('version: 1', 'settings:', '  name: Shop_EU', ...SERVICE), {
      at: '3:9',
      key: 'settings.name',
      path: ['settings', 'name'],
      reason: '"Shop_EU" is not a deployment name: use lower-case letters, digits and single hyphens, starting and ending with a letter or digit, at most 32 characters (it prefixes every AWS resource name)',
    });
  });

  it('a trailing or doubled hyphen would make names like "shop--results"', () => {
    for (const bad of ['shop-', '-shop', 'shop--eu', '']) {
      const err = configError(lines('version: 1', `settings: { name: "${bad}" }`, ...SERVICE));
      expect(err.issues.map((i) => i.path), bad).toEqual([['settings', 'name']]);
    }
  });

  it('a name longer than 32 characters (the prober function name must fit 64)', () => {
    const long = 'a'.repeat(33);
    expectOnlyIssue(lines('version: 1', `settings: { name: ${long} }`, ...SERVICE), {
      at: '2:19',
      key: 'settings.name',
      path: ['settings', 'name'],
      reason: `"${long}" is 33 characters: a deployment name is lower-case letters, digits and single hyphens, starting and ending with a letter or digit, at most 32 characters (it prefixes every AWS resource name)`,
    });
    expect(compile(lines('version: 1', `settings: { name: ${'a'.repeat(32)} }`, ...SERVICE)).settings.name).toHaveLength(32);
  });
});

describe('values', () => {
  it('a URL that is not a URL', () => {
    expectOnlyIssue(lines('version: 1', 'services:', '  - name: shop', '    checks:', '      - name: api', '        http: { url: "not a url" }'), {
      at: '6:22',
      key: 'services[0].checks[0].http.url',
      path: ['services', 0, 'checks', 0, 'http', 'url'],
      reason: '"not a url" is not a valid URL (expected http://... or https://...)',
    });
  });

  it('an ftp:// URL', () => {
    expectOnlyIssue(lines('version: 1', 'services:', '  - name: shop', '    checks:', '      - name: api', '        http: { url: "ftp://files.example.com/x" }'), {
      at: '6:22',
      key: 'services[0].checks[0].http.url',
      path: ['services', 0, 'checks', 0, 'http', 'url'],
      reason: '"ftp://files.example.com/x" must use http or https, not ftp',
    });
  });

  it('an unknown channel type lists the known types', () => {
    expectOnlyIssue(lines('version: 1', 'channels:', '  pager: { type: pagerduty, routingKey: abc }', ...SERVICE), {
      at: '3:18',
      key: 'channels.pager.type',
      path: ['channels', 'pager', 'type'],
      reason: 'unknown channel type "pagerduty" (use one of console, webhook, slack, sns)',
    });
  });

  it('a channel without a type', () => {
    expectOnlyIssue(lines('version: 1', 'channels:', '  hook: { url: "http://127.0.0.1:9000/alerts" }', ...SERVICE), {
      at: '3:9',
      key: 'channels.hook.type',
      path: ['channels', 'hook', 'type'],
      reason: 'required key "type" is missing (one of console, webhook, slack, sns)',
    });
  });

  // Regression: a bad id as a key of `channels:` got zod's bare "Invalid key in record".
  it('a channel id that breaks the id rule names the id and the rule', () => {
    const err = configError(lines('version: 1', 'channels:', '  Team: { type: console }', ...SERVICE));
    expect(err.issues).toHaveLength(1);
    expect(err.issues[0]!.path).toEqual(['channels', 'Team']);
    expect(err.message).toContain('"Team"');
    expect(err.message).toContain('must be lower-case letters, digits, - or _');
  });

  it('a service name that breaks the id rule names the value and the rule', () => {
    expectOnlyIssue(lines('version: 1', 'services:', '  - name: Shop', '    checks:', '      - name: api', '        tcp: { host: h, port: 1 }'), {
      at: '3:11',
      key: 'services[0].name',
      path: ['services', 0, 'name'],
      reason: '"Shop" must be lower-case letters, digits, - or _',
    });
  });

  it('a bad regular expression in expect.body', () => {
    const err = configError(lines('version: 1', ...SERVICE, '        expect: { body: "elasticsearch +(green" }'));
    expect(err.issues).toHaveLength(1);
    const [issue] = err.issues;
    expect(issue).toMatchObject({ file: FILE, line: 7, col: 25, path: ['services', 0, 'checks', 0, 'expect', 'body'] });
    expect(issue!.message).toMatch(/^"elasticsearch \+\(green" is not a valid regular expression: .*Unterminated group/);
    expect(err.message).toMatch(/^monitors\.yaml:7:25: services\[0\]\.checks\[0\]\.expect\.body: "elasticsearch \+\(green" is not a valid regular expression/);
  });

  it('an expect.status code out of range', () => {
    expectOnlyIssue(lines('version: 1', ...SERVICE, '        expect: { status: 700 }'), {
      at: '7:27',
      key: 'services[0].checks[0].expect.status',
      path: ['services', 0, 'checks', 0, 'expect', 'status'],
      reason: '700 is too big (maximum 599)',
    });
  });

  it('an expect.status list with a code out of range points at the code', () => {
    expectOnlyIssue(lines('version: 1', ...SERVICE, '        expect: { status: [200, 700] }'), {
      at: '7:33',
      key: 'services[0].checks[0].expect.status[1]',
      path: ['services', 0, 'checks', 0, 'expect', 'status', 1],
      reason: '700 is too big (maximum 599)',
    });
  });

  it.each([
    ['"("', '"("'],
    ['true', 'true'],
  ])('an expect.status of %s says what a status may be', (yamlValue, shown) => {
    expectOnlyIssue(lines('version: 1', ...SERVICE, `        expect: { status: ${yamlValue} }`), {
      at: '7:27',
      key: 'services[0].checks[0].expect.status',
      path: ['services', 0, 'checks', 0, 'expect', 'status'],
      reason: `${shown} is not a status: use 2xx, a list like [200, 204], or a regular expression`,
    });
  });

  it('expect.status on a tcp check applies to http only', () => {
    expectOnlyIssue(
      lines('version: 1', 'services:', '  - name: shop', '    checks:', '      - name: db', '        tcp: { host: db.internal, port: 5432 }', '        expect: { status: 2xx }'),
      { at: '7:27', key: 'services[0].checks[0].expect.status', path: ['services', 0, 'checks', 0, 'expect', 'status'], reason: 'expect.status applies to http checks only, not tcp' },
    );
  });
});

describe('missing keys', () => {
  it('http.url', () => {
    expectOnlyIssue(lines('version: 1', 'services:', '  - name: shop', '    checks:', '      - name: api', '        http: { method: GET }'), {
      at: '6:15',
      key: 'services[0].checks[0].http.url',
      path: ['services', 0, 'checks', 0, 'http', 'url'],
      reason: 'required key "url" is missing',
    });
  });

  it('a service name', () => {
    expectOnlyIssue(lines('version: 1', 'services:', '  - checks:', '      - name: api', '        tcp: { host: h, port: 1 }'), {
      at: '3:5',
      key: 'services[0].name',
      path: ['services', 0, 'name'],
      reason: 'required key "name" is missing',
    });
  });

  it('services', () => {
    expectOnlyIssue(lines('version: 1'), { at: '1:1', key: 'services', path: ['services'], reason: 'required key "services" is missing' });
  });

  it('version: reported at the top of the file under its own key', () => {
    const err = configError(lines(...SERVICE));
    expect(err.issues).toHaveLength(1);
    expect(err.issues[0]).toMatchObject({ file: FILE, line: 1, col: 1, path: ['version'] });
    expect(err.message).toMatch(/^monitors\.yaml:1:1: version: /);
    expect(err.message).toContain('1');
  });

  // Regression: a missing version said only "must be 1", as if a wrong version had been written.
  it('version: says it is missing, like every other required key', () => {
    expectOnlyIssue(lines(...SERVICE), { at: '1:1', key: 'version', path: ['version'], reason: 'required key "version" is missing' });
  });

  it('a wrong version', () => {
    expectOnlyIssue(lines('version: 2', ...SERVICE), { at: '1:10', key: 'version', path: ['version'], reason: 'must be 1' });
  });

  it('an empty file asks for a mapping', () => {
    expectOnlyIssue('', {
      at: '1:1',
      key: '(top level)',
      path: [],
      reason: 'expected a mapping with version, settings, defaults, channels, reactions and services',
    });
  });

  it('a service without checks', () => {
    expectOnlyIssue(lines('version: 1', 'services:', '  - name: shop', '    checks: []'), {
      at: '4:13',
      key: 'services[0].checks',
      path: ['services', 0, 'checks'],
      reason: 'a service needs at least one check',
    });
  });
});

describe('YAML syntax errors', () => {
  it('a tab used as indentation', () => {
    expectOnlyIssue(lines('version: 1', 'settings:', '\tstatusToken: abc', ...SERVICE), {
      at: '3:1',
      key: '(top level)',
      path: [],
      reason: 'YAML: Tabs are not allowed as indentation',
    });
  });

  it('a second colon on one line', () => {
    expectOnlyIssue(lines('version: 1', 'name: a: b', ...SERVICE), {
      at: '2:7',
      key: '(top level)',
      path: [],
      reason: 'YAML: Nested mappings are not allowed in compact mappings',
    });
  });

  it('a key written twice', () => {
    expectOnlyIssue(lines('version: 1', 'version: 1', ...SERVICE), {
      at: '2:1',
      key: '(top level)',
      path: [],
      reason: 'YAML: Map keys must be unique',
    });
  });

  // Regression: the yaml package reports these only when doc.toJS() runs, by throwing (or, for a
  // self-containing alias, with a cyclic value); they escaped as ReferenceError/RangeError.
  it('an alias to an anchor that does not exist is a ConfigError', () => {
    const err = configError(lines('version: 1', 'defaults:', '  interval: *every', ...SERVICE));
    expect(err.issues[0]).toMatchObject({ file: FILE, line: 3 });
    expect(err.message).toContain('every');
  });

  it('an alias inside its own anchor is a ConfigError', () => {
    const err = configError(lines('version: 1', 'services: &loop [*loop]'));
    expect(err.issues[0]).toMatchObject({ file: FILE, line: 2 });
  });

  it('an alias bomb is a ConfigError', () => {
    const err = configError(
      lines('version: 1', 'a: &a [x, x, x, x, x, x, x, x, x, x]', 'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]', 'c: [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]', ...SERVICE),
    );
    expect(err.issues.length).toBeGreaterThan(0);
    expect(err.message).toMatch(/^monitors\.yaml:\d+:\d+: /);
  });
});

describe('${env:NAME} references', () => {
  const withToken = (value: string) => lines('version: 1', 'settings:', `  statusToken: "${value}"`, ...SERVICE);

  it('an unset variable is an error that shows how to give a default', () => {
    expectOnlyIssue(withToken('${env:PAGERLESS_STATUS_TOKEN}'), {
      at: '3:16',
      key: 'settings.statusToken',
      path: ['settings', 'statusToken'],
      reason: 'environment variable PAGERLESS_STATUS_TOKEN is not set (write ${env:PAGERLESS_STATUS_TOKEN:-default} to give a default)',
    });
  });

  it('a set variable is substituted', () => {
    const cfg = compile(withToken('${env:PAGERLESS_STATUS_TOKEN}'), { PAGERLESS_STATUS_TOKEN: 's3cret' });
    expect(cfg.settings.statusToken).toBe('s3cret');
  });

  it('a variable inside a longer string is substituted in place', () => {
    const cfg = compile(
      lines('version: 1', 'services:', '  - name: shop', '    checks:', '      - name: api', '        http: { url: "http://127.0.0.1:${env:PORT}/health" }'),
      { PORT: '8081' },
    );
    expect(checkById(cfg, 'shop/api').spec.url).toBe('http://127.0.0.1:8081/health');
    // Shown redacted: a value from the environment may be a secret, whatever it looks like.
    expect(checkById(cfg, 'shop/api').target).toBe('GET http://127.0.0.1:***/health');
  });

  it('${env:NAME:-default} uses the default when the variable is unset', () => {
    const cfg = compile(withToken('${env:PAGERLESS_STATUS_TOKEN:-fallback-token}'));
    expect(cfg.settings.statusToken).toBe('fallback-token');
  });

  it('${env:NAME:-default} uses the variable when it is set', () => {
    const cfg = compile(withToken('${env:PAGERLESS_STATUS_TOKEN:-fallback-token}'), { PAGERLESS_STATUS_TOKEN: 'from-env' });
    expect(cfg.settings.statusToken).toBe('from-env');
  });

  it('the substituted value is validated like a literal one (and not quoted: it may be a secret)', () => {
    expectOnlyIssue(lines('version: 1', 'defaults:', '  interval: ${env:EVERY}', ...SERVICE), {
      at: '3:13',
      key: 'defaults.interval',
      path: ['defaults', 'interval'],
      reason: '"***" is not a duration (use a number and a unit: 500ms, 30s, 5m, 24h, 7d)',
    }, { EVERY: 'soon' });
  });

  it('${ssm:...} is rejected locally', () => {
    expectOnlyIssue(withToken('${ssm:/pagerless/status}'), {
      at: '3:16',
      key: 'settings.statusToken',
      path: ['settings', 'statusToken'],
      reason: '${ssm:/pagerless/status}: ssm references are resolved only on AWS; use ${env:NAME} locally',
    });
  });

  it('${secret:...} is rejected locally', () => {
    expectOnlyIssue(withToken('${secret:pagerless-status}'), {
      at: '3:16',
      key: 'settings.statusToken',
      path: ['settings', 'statusToken'],
      reason: '${secret:pagerless-status}: secret references are resolved only on AWS; use ${env:NAME} locally',
    });
  });

  it('an unknown reference source is named', () => {
    expectOnlyIssue(withToken('${vault:status}'), {
      at: '3:16',
      key: 'settings.statusToken',
      path: ['settings', 'statusToken'],
      reason: '${vault:status}: unknown reference source "vault" (use env, ssm or secret)',
    });
  });

  it('an empty statusToken or ingestToken counts as absent', () => {
    const cfg = compile(lines('version: 1', 'settings:', '  statusToken: ""', '  ingestToken: ${env:PAGERLESS_INGEST_TOKEN:-}', ...SERVICE));
    expect(cfg.settings.statusToken).toBeUndefined();
    expect(cfg.settings.ingestToken).toBeUndefined();
    expect(compile(withToken('abc')).settings.statusToken).toBe('abc');
  });
});

describe('several problems', () => {
  it('are all reported, one per line, in file order', () => {
    const err = configError(
      lines('version: 1', 'defaults:', '  timeout: 10', '  retries: -1', 'services:', '  - name: shop', '    severity: high', '    checks:', '      - name: api', '        http: { url: "https://shop.example.com/health" }'),
    );
    expect(err.message.split('\n')).toEqual([
      'monitors.yaml:3:12: defaults.timeout: 10 is not a duration: write 10s for 10 seconds (use a number and a unit: 500ms, 30s, 5m, 24h, 7d)',
      'monitors.yaml:4:12: defaults.retries: -1 is too small (minimum 0)',
      'monitors.yaml:7:15: services[0].severity: "high" is not one of "critical", "warning", "info"',
    ]);
    expect(err.issues.map((i) => i.path)).toEqual([
      ['defaults', 'timeout'],
      ['defaults', 'retries'],
      ['services', 0, 'severity'],
    ]);
  });
});

describe('a valid config', () => {
  it('gets the built-in defaults: interval 60s, timeout 10s, retries 0, failures 2, recoveries 1, quorum 2 capped to 1 region', () => {
    const cfg = compile(lines('version: 1', ...SERVICE));
    expect(checkById(cfg, 'shop/api')).toMatchObject({
      service: 'shop',
      name: 'api',
      kind: 'http',
      group: null,
      severity: 'warning',
      intervalMs: 60_000,
      timeoutMs: 10_000,
      retries: 0,
      failures: 2,
      recoveries: 1,
      quorum: 1,
      alert: [],
      react: [],
    });
    expect(cfg.settings).toMatchObject({ regions: ['local'], concurrency: 100, retentionMs: 7 * 86_400_000 });
  });

  it('resolves each policy key check -> service -> defaults -> built-in', () => {
    const cfg = compile(
      lines(
        'version: 1',
        'defaults:',
        '  interval: 30s',
        '  timeout: 5s',
        '  retries: 1',
        '  failures: 3',
        'services:',
        '  - name: shop',
        '    interval: 20s',
        '    timeout: 4s',
        '    recoveries: 2',
        '    checks:',
        '      - name: api',
        '        http: { url: "https://shop.example.com/health" }',
        '        interval: 15s',
        '        retries: 2',
        '      - name: db',
        '        tcp: { host: db.internal, port: 5432 }',
        '  - name: blog',
        '    checks:',
        '      - name: home',
        '        http: { url: "https://blog.example.com/" }',
      ),
    );
    // check wins over service and defaults; service wins over defaults; defaults win over built-in.
    expect(checkById(cfg, 'shop/api')).toMatchObject({ intervalMs: 15_000, timeoutMs: 4_000, retries: 2, failures: 3, recoveries: 2, quorum: 1 });
    expect(checkById(cfg, 'shop/db')).toMatchObject({ intervalMs: 20_000, timeoutMs: 4_000, retries: 1, failures: 3, recoveries: 2, quorum: 1 });
    expect(checkById(cfg, 'blog/home')).toMatchObject({ intervalMs: 30_000, timeoutMs: 5_000, retries: 1, failures: 3, recoveries: 1, quorum: 1 });
  });

  it('caps quorum at the number of regions (and keeps it below that)', () => {
    const raw = configSchema.parse(
      parse(lines('version: 1', 'defaults: { quorum: 2 }', 'services:', '  - name: shop', '    checks:', '      - name: api', '        tcp: { host: h, port: 1 }', '      - name: web', '        tcp: { host: h, port: 2 }', '        quorum: 5')),
    );
    const three = compileConfig(raw, FILE, ['us-east-1', 'eu-west-1', 'ap-southeast-2']);
    expect(three.checks.map((c) => [c.id, c.quorum])).toEqual([['shop/api', 2], ['shop/web', 3]]);
    const local = compileConfig(raw, FILE);
    expect(local.checks.map((c) => c.quorum)).toEqual([1, 1]);
  });

  it('gives http checks expect.status 2xx by default, and other kinds no status expectation', () => {
    const cfg = compile(
      lines('version: 1', 'services:', '  - name: shop', '    checks:', '      - name: api', '        http: { url: "https://shop.example.com/health" }', '      - name: db', '        tcp: { host: db.internal, port: 5432 }', '      - name: ok-list', '        http: { url: "https://shop.example.com/ok" }', '        expect: { status: [200, 204], maxLatency: 800ms, body: "green" }'),
    );
    expect(checkById(cfg, 'shop/api').expect.status).toEqual({ kind: 'class', digits: [2], text: '2xx' });
    expect(checkById(cfg, 'shop/db').expect.status).toBeUndefined();
    const listed = checkById(cfg, 'shop/ok-list').expect;
    expect(listed.status).toEqual({ kind: 'list', codes: [200, 204], text: '200, 204' });
    expect(listed.maxLatencyMs).toBe(800);
    expect(listed.body?.source).toBe('green');
  });

  it('inherits alert, react and severity from the service unless the check sets them', () => {
    const cfg = compile(
      lines(
        'version: 1',
        'channels:',
        '  team: { type: console }',
        '  hook: { type: webhook, url: "http://127.0.0.1:9000/alerts" }',
        'reactions:',
        '  restart: { type: webhook, url: "http://127.0.0.1:9000/restart" }',
        'services:',
        '  - name: shop',
        '    severity: critical',
        '    alert: [team]',
        '    react: [restart]',
        '    checks:',
        '      - name: api',
        '        http: { url: "https://shop.example.com/health" }',
        '      - name: db',
        '        tcp: { host: db.internal, port: 5432 }',
        '        severity: info',
        '        alert: [hook]',
        '        react: []',
      ),
    );
    expect(checkById(cfg, 'shop/api')).toMatchObject({ severity: 'critical', alert: ['team'], react: ['restart'] });
    expect(checkById(cfg, 'shop/db')).toMatchObject({ severity: 'info', alert: ['hook'], react: [] });
    expect(cfg.reactions.restart).toMatchObject({ id: 'restart', type: 'webhook', after: 1, cooldownMs: 300_000 });
    expect(cfg.channels.hook).toMatchObject({ id: 'hook', type: 'webhook' });
  });

  it('examples/monitors.yaml loads with an empty environment', () => {
    const cfg = loadConfig(EXAMPLE, {});
    expect(cfg.file).toBe(EXAMPLE);
    expect(cfg.checks.map((c) => [c.id, c.kind])).toEqual([
      ['pagerless/api', 'http'],
      ['pagerless/port', 'tcp'],
      ['demo/unreachable', 'http'],
      ['demo/nightly-job', 'heartbeat'],
      ['demo/external-alert', 'webhook'],
    ]);
    expect(cfg.settings.statusToken).toBeUndefined();
    expect(cfg.settings.ingestToken).toBeUndefined();
    expect(checkById(cfg, 'pagerless/api')).toMatchObject({
      target: 'GET http://127.0.0.1:8080/api/checks',
      intervalMs: 10_000,
      timeoutMs: 2_000,
      retries: 1,
      failures: 2,
      recoveries: 1,
      quorum: 1,
      severity: 'critical',
      group: 'local/self',
      alert: ['stdout'],
    });
    expect(checkById(cfg, 'demo/nightly-job').intervalMs).toBe(5_000);
    expect(checkById(cfg, 'demo/nightly-job').spec.token).toBe('demo-heartbeat-token');
    expect(checkById(cfg, 'demo/unreachable').react).toEqual(['restart-demo']);
    expect(cfg.reactions['restart-demo']).toMatchObject({ after: 2, cooldownMs: 600_000 });
  });

  it('examples/monitors.yaml takes its port from PAGERLESS_PORT when set', () => {
    const cfg = loadConfig(EXAMPLE, { PAGERLESS_PORT: '9090' });
    expect(checkById(cfg, 'pagerless/api').spec.url).toBe('http://127.0.0.1:9090/api/checks');
    // The port is Pagerless's own variable, not a secret: shown as it is.
    expect(checkById(cfg, 'pagerless/api').target).toBe('GET http://127.0.0.1:9090/api/checks');
    expect(cfg.secrets).toEqual([]);
  });

  it('a missing file is a ConfigError that says so', () => {
    const missing = 'does-not-exist/monitors.yaml';
    try {
      loadConfig(missing, {});
      expect.unreachable('loadConfig should throw');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).message).toBe(`${missing}:1:1: (top level): cannot read the config: file not found`);
    }
  });
});

describe('values a reader could get wrong', () => {
  const withStatus = (status: string) => lines('version: 1', 'services:', '  - name: web', '    checks:', '      - name: home', '        http: { url: "http://127.0.0.1/" }', `        expect: { status: ${status} }`);

  it('a status class is case-insensitive, and 6xx is not a class', () => {
    const cfg = parseConfig(withStatus('"2XX"'), FILE, {});
    expect(cfg.checks[0]!.expect.status).toMatchObject({ kind: 'class', digits: [2] });
    expectOnlyIssue(withStatus('"6xx"'), { at: '7:27', key: 'services[0].checks[0].expect.status', path: ['services', 0, 'checks', 0, 'expect', 'status'], reason: '"6xx" is not a status: use 2xx, a list like [200, 204], or a regular expression' });
  });

  it('a status regex is matched against the whole code', () => {
    const m = parseConfig(withStatus('"20"'), FILE, {}).checks[0]!.expect.status!;
    expect(statusMatches(m, 520)).toBe(false);
    expect(statusMatches(m, 20)).toBe(true);
    const either = parseConfig(withStatus('"200|204"'), FILE, {}).checks[0]!.expect.status!;
    expect([200, 204, 2000, 1204].map((s) => statusMatches(either, s))).toEqual([true, true, false, false]);
  });

  it('${env:NAME:-default} also stands in for a variable that is set but empty, as in the shell', () => {
    const text = lines('version: 1', 'settings: { statusToken: "${env:TOKEN:-fallback}" }', 'services:', '  - name: web', '    checks:', '      - name: home', '        tcp: { host: h, port: 1 }');
    expect(parseConfig(text, FILE, { TOKEN: '' }).settings.statusToken).toBe('fallback');
    expect(parseConfig(text, FILE, { TOKEN: 'set' }).settings.statusToken).toBe('set');
    expect(parseConfig(text, FILE, {}).settings.statusToken).toBe('fallback');
  });
});

describe('secrets from ${...} references (fault 9)', () => {
  const withUrl = (url: string) => lines('version: 1', 'services:', '  - name: shop', '    checks:', '      - name: api', `        http: { url: "${url}" }`);

  it('a secret in a query string is used by the probe and shown as *** in the target, and listed in secrets', () => {
    const cfg = compile(withUrl('https://api.example.com/health?key=${env:API_KEY}'), { API_KEY: 'k3y-0f-the-api' });
    const api = checkById(cfg, 'shop/api');
    expect(api.spec.url).toBe('https://api.example.com/health?key=k3y-0f-the-api');
    expect(api.target).toBe('GET https://api.example.com/health?key=***');
    expect(cfg.secrets).toEqual(['k3y-0f-the-api']);
  });

  it('lists every value taken from the environment once, and no default written in the file', () => {
    const cfg = compile(
      lines('version: 1', 'settings: { statusToken: "${env:TOKEN}", ingestToken: "${env:INGEST:-written-in-the-file}" }', 'channels:', '  team: { type: webhook, url: "https://hooks.example.com/${env:TOKEN}" }', ...SERVICE),
      { TOKEN: 'st4tus-token' },
    );
    expect(cfg.secrets).toEqual(['st4tus-token']);
    expect(compile(lines('version: 1', ...SERVICE)).secrets).toEqual([]);
  });

  it('redacts secrets from the words of an error too (validate output lands in CI logs)', () => {
    const err = configError(withUrl('${env:URL}'), { URL: 'ftp://files.example.com/?token=hunter2-secret' });
    expect(err.message).not.toContain('hunter2-secret');
    expect(err.message).toBe('monitors.yaml:6:22: services[0].checks[0].http.url: "***" must use http or https, not ftp');
  });

  it('rejects credentials in an http URL, pointing at the URL, with the basicAuth hint and without the password', () => {
    const reason = 'credentials in the URL (user:password@host) are not sent: remove them from the URL and write basicAuth: { username: ..., password: ... }';
    expectOnlyIssue(withUrl('https://monitor:${env:PW}@api.example.com/health'), {
      at: '6:22',
      key: 'services[0].checks[0].http.url',
      path: ['services', 0, 'checks', 0, 'http', 'url'],
      reason,
    }, { PW: 'hunter2-secret' });
    expectOnlyIssue(withUrl('https://monitor@api.example.com/health'), {
      at: '6:22',
      key: 'services[0].checks[0].http.url',
      path: ['services', 0, 'checks', 0, 'http', 'url'],
      reason,
    });
  });

  it('accepts the same credentials as basicAuth, and keeps the password out of the target', () => {
    const cfg = compile(
      lines('version: 1', 'services:', '  - name: shop', '    checks:', '      - name: api', '        http:', '          url: https://api.example.com/health', '          basicAuth: { username: monitor, password: "${env:PW}" }'),
      { PW: 'hunter2-secret' },
    );
    expect(checkById(cfg, 'shop/api').spec.basicAuth).toEqual({ username: 'monitor', password: 'hunter2-secret' });
    expect(checkById(cfg, 'shop/api').target).toBe('GET https://api.example.com/health');
    expect(cfg.secrets).toEqual(['hunter2-secret']);
  });
});

describe('check kinds decide what applies to them', () => {
  it('expect.maxLatency on a heartbeat names the kinds it applies to', () => {
    expectOnlyIssue(
      lines('version: 1', 'services:', '  - name: jobs', '    checks:', '      - name: nightly', '        heartbeat: { token: nightly-token-1, every: 24h }', '        expect: { maxLatency: 1s }'),
      { at: '7:31', key: 'services[0].checks[0].expect.maxLatency', path: ['services', 0, 'checks', 0, 'expect', 'maxLatency'], reason: 'expect.maxLatency applies to http, tcp checks only, not heartbeat' },
    );
  });

  it('on AWS, a heartbeat may inherit an interval under 10s (it is judged once a minute) but an http check may not', () => {
    const text = lines('version: 1', 'defaults: { interval: 5s }', 'services:', '  - name: jobs', '    checks:', '      - name: nightly', '        heartbeat: { token: nightly-token-1, every: 24h }');
    expect(parseConfig(text, FILE, {}, { target: 'aws' }).checks[0]!.intervalMs).toBe(5_000);
    const withHttp = `${text}      - name: api\n        http: { url: "https://shop.example.com/health" }\n`;
    try {
      parseConfig(withHttp, FILE, {}, { target: 'aws' });
      expect.unreachable('a 5s http check must be refused on AWS');
    } catch (err) {
      expect((err as ConfigError).issues).toEqual([
        { file: FILE, line: 2, col: 23, path: ['defaults', 'interval'], message: 'interval 5s of jobs/api is under the 10s minimum on AWS' },
      ]);
    }
  });

  it('a duplicate heartbeat token points at the second token', () => {
    expectOnlyIssue(
      lines('version: 1', 'services:', '  - name: jobs', '    checks:', '      - name: a', '        heartbeat: { token: shared-token-1, every: 1h }', '      - name: b', '        heartbeat: { token: shared-token-1, every: 1h }'),
      { at: '8:29', key: 'services[0].checks[1].heartbeat.token', path: ['services', 0, 'checks', 1, 'heartbeat', 'token'], reason: 'heartbeat token already used by jobs/a' },
    );
  });
});

describe('the fast path and the full parser', () => {
  it('compile YAML the fast reader gives up on (anchors, block scalars) as the same YAML written plainly', () => {
    const plain = compile(lines(
      'version: 1',
      'services:',
      '  - name: shop',
      '    checks:',
      '      - name: a',
      '        http: { url: "https://shop.example.com/a", headers: { Accept: text/plain } }',
      '        interval: 30s',
      '      - name: b',
      '        http: { url: "https://shop.example.com/b", headers: { Accept: text/plain } }',
      '        interval: 30s',
    ));
    const fancy = compile(lines(
      'version: 1',
      'services:',
      '  - name: shop',
      '    checks:',
      '      - name: a',
      '        http: { url: "https://shop.example.com/a", headers: &h { Accept: text/plain } }',
      '        interval: &every 30s',
      '      - name: b',
      '        http:',
      '          url: >-',
      '            https://shop.example.com/b',
      '          headers: *h',
      '        interval: *every',
    ));
    expect(fancy).toEqual(plain);
  });

  it('reports a mistake at the same position whichever reader read the file first', () => {
    const simple = lines('version: 1', ...SERVICE, '        retries: -1');
    const withAnchor = lines('version: 1', 'x-anchors: &r -1', ...SERVICE, '        retries: *r');
    expect(configError(simple).message).toBe('monitors.yaml:7:18: services[0].checks[0].retries: -1 is too small (minimum 0)');
    expect(configError(withAnchor).message).toContain('monitors.yaml:2:1: x-anchors: unknown key "x-anchors"');
    expect(configError(withAnchor).message).toContain('monitors.yaml:8:18: services[0].checks[0].retries: -1 is too small (minimum 0)');
  });
});
