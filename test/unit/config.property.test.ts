/**
 * Properties of the parsers of outside input: whatever text arrives as monitors.yaml, the only
 * failure is a ConfigError with positioned issues; durations parse to whole milliseconds or fail
 * with a DurationError; and `<n><unit>` means exactly n units.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { DurationError, formatDuration, parseDuration } from '../../shared/config/duration.ts';
import { ConfigError, parseConfig } from '../../shared/config/load.ts';
import { isScheduled } from '../../shared/checks/index.ts';

const RUNS = { numRuns: 300 };
const FILE = 'fuzz.yaml';
const TOP_LEVEL = 'expected a mapping with version, settings, defaults, channels, reactions and services';

/** Parse; a ConfigError is an answer (returned), anything else thrown is a failure of the property. */
function outcome(text: string): ConfigError | 'accepted' {
  try {
    parseConfig(text, FILE, { SET: 'value' });
    return 'accepted';
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
}

/** Every issue says where (inside the file), what key, and why. */
function expectWellFormed(err: ConfigError, text: string): void {
  expect(err.issues.length).toBeGreaterThan(0);
  const lineCount = text.split('\n').length;
  for (const issue of err.issues) {
    expect(issue.file).toBe(FILE);
    expect(Number.isInteger(issue.line) && issue.line >= 1 && issue.line <= lineCount).toBe(true);
    expect(Number.isInteger(issue.col) && issue.col >= 1).toBe(true);
    expect(issue.message.length).toBeGreaterThan(0);
    // Only a YAML syntax error, or a document that is not a mapping at all, has no key path.
    if (!issue.message.startsWith('YAML: ') && issue.message !== TOP_LEVEL) expect(issue.path.length).toBeGreaterThan(0);
  }
  // The message repeats each issue as `file:line:col: key.path: reason`.
  for (const issue of err.issues) {
    expect(err.message).toContain(`${FILE}:${issue.line}:${issue.col}: `);
    expect(err.message).toContain(`: ${issue.message}`);
  }
}

function yamlOf(value: unknown): string {
  return stringify(value) ?? '';
}

/*
 * Config-shaped files: valid in the main, with now and then a bad value or an extra key, so the
 * deep rules, the cross-references and the compiler all run (about a third of them compile).
 */
const junk = fc.anything({ maxDepth: 2 });
/** Usually `good`; once in a while one of `bad` or any value at all. */
function mostly<T>(good: fc.Arbitrary<T>, ...bad: fc.Arbitrary<unknown>[]): fc.Arbitrary<unknown> {
  return fc.oneof({ arbitrary: good, weight: 80 }, ...bad.map((arbitrary) => ({ arbitrary, weight: 1 })), { arbitrary: junk, weight: 1 });
}
/** Usually nothing (an empty mapping to spread in), once in a while `extra`. */
function rarely<T extends object>(extra: fc.Arbitrary<T>): fc.Arbitrary<T | Record<string, never>> {
  return fc.oneof({ arbitrary: fc.constant({}), weight: 20 }, { arbitrary: extra, weight: 1 });
}
const duration = mostly(fc.constantFrom('1s', '30s', '2m', '1h30m', '${env:EVERY:-5s}'), fc.constantFrom('500ms', '0s', '5x', '', '${env:UNSET}', '${ssm:/x}'), fc.string());
const name = fc.constantFrom('shop', 'api', 'db', 'web', 'blog');
const channelIds = fc.array(mostly(fc.constantFrom('team', 'web'), fc.constantFrom('pager', 'Team', 'constructor')), { maxLength: 2 });
const reactionIds = fc.array(mostly(fc.constantFrom('restart', 'failover'), fc.constantFrom('reboot', '__proto__')), { maxLength: 2 });
const policy = {
  interval: duration,
  timeout: duration,
  retries: mostly(fc.nat({ max: 10 }), fc.constant(-1)),
  failures: mostly(fc.integer({ min: 1, max: 100 }), fc.constant(0)),
  quorum: mostly(fc.integer({ min: 1, max: 32 }), fc.constant(1.5)),
};
const httpKind = fc.record(
  {
    http: fc.record({ url: mostly(fc.constantFrom('https://x.example/health', 'http://127.0.0.1:${env:PORT:-8080}/'), fc.constantFrom('ftp://x', 'nope')), method: mostly(fc.constantFrom('GET', 'POST'), fc.constant('FETCH')) }, { requiredKeys: ['url'] }),
    expect: fc.record({ status: mostly(fc.constantFrom('2xx', '^2\\d\\d$', 200, [200, 204]), fc.constantFrom('(', 700, [])), body: mostly(fc.constant('ok'), fc.constant('a(')), maxLatency: duration }, { requiredKeys: [] }),
  },
  { requiredKeys: ['http'] },
);
const otherKind = fc.oneof(
  fc.record({ tcp: fc.record({ host: mostly(fc.constant('db.internal')), port: mostly(fc.integer({ min: 1, max: 65_535 }), fc.integer()) }) }),
  fc.record({ heartbeat: fc.record({ token: mostly(fc.constantFrom('abcdefgh1', 'backup-token-2'), fc.constant('short')), every: duration }) }),
  fc.record({ webhook: fc.record({ source: mostly(fc.constant('generic'), fc.constant('datadog')) }) }),
);
const kind = fc.oneof(httpKind, otherKind);
const checkArb = fc
  .tuple(
    fc.record({ name: mostly(name, fc.constant('Bad')), alert: channelIds, react: reactionIds, ...policy }, { requiredKeys: ['name'] }),
    mostly(kind, fc.constant({})),
    rarely(kind),
    rarely(fc.record({ bogus: junk })),
  )
  .map(([check, first, second, extra]) => ({ ...check, ...(first as object), ...second, ...extra }));
const checksArb = mostly(fc.uniqueArray(checkArb, { minLength: 1, maxLength: 3, selector: (c) => c.name }), fc.constant([]));
const serviceArb = fc
  .tuple(
    fc.record({ name: mostly(name), group: mostly(fc.constant('team/prod'), fc.constant('/bad')), severity: mostly(fc.constantFrom('critical', 'warning', 'info'), fc.constant('high')), alert: channelIds, react: reactionIds, checks: checksArb, ...policy }, { requiredKeys: ['name', 'checks'] }),
    rarely(fc.record({ bogus: junk })),
  )
  .map(([service, extra]) => ({ ...service, ...extra }));
const channels = fc
  .tuple(
    mostly(fc.constantFrom({ type: 'console' }, { type: 'slack', url: 'https://hooks.slack.com/x' }), fc.constantFrom({ type: 'sns' }, { url: 'http://x' }, { type: 'console', extra: 1 })),
    mostly(fc.constant({ type: 'webhook', url: 'http://127.0.0.1:9000/alerts', secret: '${env:SET}' })),
    rarely(fc.dictionary(fc.string(), junk, { maxKeys: 2 })),
  )
  .map(([team, web, extra]) => ({ team, web, ...extra }));
const reaction = fc.record({ type: mostly(fc.constant('webhook')), url: mostly(fc.constant('http://127.0.0.1:9/r'), fc.constant('ftp://x')), cooldown: duration, after: mostly(fc.integer({ min: 1, max: 5 }), fc.constant(0)) }, { requiredKeys: ['type', 'url'] });
const configArb = fc.record(
  {
    version: mostly(fc.constant(1), fc.constant(2)),
    settings: mostly(fc.record({ statusToken: fc.constantFrom('', 'abc', '${env:SET}'), retention: duration, summary: fc.record({ every: duration, channels: mostly(fc.constantFrom(['team'], ['team', 'web']), fc.constantFrom([], ['pager'])) }) }, { requiredKeys: [] })),
    defaults: mostly(fc.record(policy, { requiredKeys: [] })),
    channels,
    reactions: fc.record({ restart: reaction, failover: reaction }),
    services: mostly(fc.uniqueArray(serviceArb, { minLength: 1, maxLength: 3, selector: (s) => s.name }), fc.constant([])),
  },
  { requiredKeys: ['version', 'channels', 'reactions', 'services'] },
);

describe('parseConfig on arbitrary input', () => {
  it('throws nothing but a well-formed ConfigError for arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (text) => {
        const result = outcome(text);
        if (result !== 'accepted') expectWellFormed(result, text);
      }),
      RUNS,
    );
  });

  it('throws nothing but a well-formed ConfigError for arbitrary lines of YAML-ish tokens', () => {
    const token = fc.constantFrom('version: 1', 'services:', '  - name: a', '    checks:', '      - name: b', '        tcp: { host: h, port: 1 }', '        http: { url: x }', '  ', '- ', ': ', '{', '}', '[', ']', '"', "'", '#', '\t', '&a ', '!!str ', '${env:SET}', '${env:UNSET}', 'x', '1s', '\n');
    fc.assert(
      fc.property(fc.array(token, { maxLength: 30 }).map((parts) => parts.join('')), (text) => {
        const result = outcome(text);
        if (result !== 'accepted') expectWellFormed(result, text);
      }),
      RUNS,
    );
  });

  it('throws nothing but a well-formed ConfigError for any YAML value', () => {
    fc.assert(
      fc.property(fc.anything().map(yamlOf), (text) => {
        const result = outcome(text);
        // Not one of these is a complete config, so every one must be refused.
        expect(result).toBeInstanceOf(ConfigError);
        expectWellFormed(result as ConfigError, text);
      }),
      RUNS,
    );
  });

  it('throws nothing but a well-formed ConfigError for any YAML mapping', () => {
    fc.assert(
      fc.property(fc.object().map(yamlOf), (text) => {
        const result = outcome(text);
        expect(result).toBeInstanceOf(ConfigError);
        expectWellFormed(result as ConfigError, text);
      }),
      RUNS,
    );
  });

  it('throws nothing but a well-formed ConfigError for config-shaped mappings, and compiles the rest', () => {
    let compiled = 0;
    fc.assert(
      fc.property(configArb.map(yamlOf), (text) => {
        const result = outcome(text);
        if (result !== 'accepted') return expectWellFormed(result, text);
        compiled += 1;
        const cfg = parseConfig(text, FILE, { SET: 'value' });
        expect(cfg.checks.length).toBeGreaterThan(0);
        for (const check of cfg.checks) {
          // Only rounds run at an interval: a pushed-only check (webhook) has none to bound.
          if (isScheduled(check)) expect(check.intervalMs).toBeGreaterThanOrEqual(1_000);
          expect(check.quorum).toBe(1);
        }
      }),
      RUNS,
    );
    // About one in eight of these files is valid; a parser that refused everything would fail here.
    expect(compiled).toBeGreaterThan(0);
  });
});

const UNITS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const unit = fc.constantFrom(...(Object.keys(UNITS) as (keyof typeof UNITS)[]));

describe('parseDuration', () => {
  const wholeNonNegative = (ms: number) => Number.isFinite(ms) && Number.isInteger(ms) && ms >= 0;

  it('returns whole non-negative ms or throws DurationError, for arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        try {
          expect(wholeNonNegative(parseDuration(text))).toBe(true);
        } catch (err) {
          expect(err).toBeInstanceOf(DurationError);
          expect((err as Error).message).toContain(`"${text}"`);
        }
      }),
      RUNS,
    );
  });

  it('returns whole non-negative ms or throws DurationError, for strings of digits, dots and units', () => {
    const near = fc.string({ unit: fc.constantFrom(...'0123456789.msmhd'.split('')), maxLength: 30 });
    fc.assert(
      fc.property(near, (text) => {
        try {
          expect(wholeNonNegative(parseDuration(text))).toBe(true);
        } catch (err) {
          expect(err).toBeInstanceOf(DurationError);
        }
      }),
      RUNS,
    );
  });

  it('reads `<n><unit>` as exactly n units', () => {
    fc.assert(
      fc.property(fc.nat({ max: 1_000_000 }), unit, (n, u) => {
        expect(parseDuration(`${n}${u}`)).toBe(n * UNITS[u]);
      }),
      RUNS,
    );
  });

  it('reads a sum of parts as the sum of its parts', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat({ max: 10_000 }), unit), { minLength: 1, maxLength: 5 }), (parts) => {
        const text = parts.map(([n, u]) => `${n}${u}`).join('');
        expect(parseDuration(text)).toBe(parts.reduce((sum, [n, u]) => sum + n * UNITS[u], 0));
      }),
      RUNS,
    );
  });

  it('reads back what formatDuration wrote (spaces removed), for whole seconds and sub-second ms', () => {
    const ms = fc.oneof(fc.nat({ max: 999 }), fc.nat({ max: 10_000_000 }).map((s) => s * 1_000));
    fc.assert(
      fc.property(ms, (value) => {
        expect(parseDuration(formatDuration(value).replaceAll(' ', ''))).toBe(value);
      }),
      RUNS,
    );
  });
});
