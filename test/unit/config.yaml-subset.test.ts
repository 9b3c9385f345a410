/**
 * The fast YAML reader behind `validate`: whenever it returns a value, the `yaml` library reads the
 * same text without errors and to the same value; on anything outside its subset it gives up, and
 * the full parser (with positions) reads the file.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { parseYamlSubset } from '../../shared/config/yaml-subset.ts';

const EXAMPLE = fileURLToPath(new URL('../../examples/monitors.yaml', import.meta.url));

/** What the config loader's full path reads: undefined when the library reports an error. */
function library(text: string): unknown {
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) return undefined;
  try {
    return doc.toJS({ maxAliasCount: 100 });
  } catch {
    return undefined;
  }
}

/** The property that makes the fast path safe. */
function agreesWithLibrary(text: string): void {
  const fast = parseYamlSubset(text);
  if (fast === undefined) return;
  const full = library(text);
  expect(full, `the library rejects what the subset read:\n${text}`).not.toBeUndefined();
  // isDeepStrictEqual, not toStrictEqual: an own `constructor` key would be compared as a type.
  expect(isDeepStrictEqual(fast, full), `${text}\nsubset: ${JSON.stringify(fast)}\nlibrary: ${JSON.stringify(full)}`).toBe(true);
}

describe('parseYamlSubset', () => {
  it('reads examples/monitors.yaml as the library does', () => {
    const text = readFileSync(EXAMPLE, 'utf8');
    expect(parseYamlSubset(text)).toBeDefined();
    agreesWithLibrary(text);
  });

  it('reads block and flow styles, quotes, comments and scalars of the core schema', () => {
    const text = [
      '---',
      '# a comment',
      'version: 1',
      'settings: { statusToken: "${env:T:-x}", regions: [us-east-1, eu-west-1] }',
      'defaults:',
      '  interval: 60s   # trailing comment',
      '  retries: -1',
      '  on: true',
      '  off: FALSE',
      '  none: ~',
      '  empty:',
      'services:',
      '- name: shop',
      '  checks:',
      '    -   name: api',
      '        http:',
      '          url: https://shop.example.com/health#frag',
      '          headers: { Accept: application/json, X-Key: \'it\'\'s\' }',
      '        expect: { status: [200, 204], body: "^ok\\\\s+\\"yes\\"$" }',
      '    - name: db',
      '      tcp: {host: db.internal, port: 5432}',
      '    -',
      '      name: q',
      '  constructor: kept as an own key',
    ].join('\n');
    const value = parseYamlSubset(text);
    expect(value).toBeDefined();
    agreesWithLibrary(text);
    expect(value).toMatchObject({ defaults: { retries: -1, on: true, off: false, none: null, empty: null } });
  });

  it.each([
    ['an anchor and alias', 'a: &x 1\nb: *x\n'],
    ['a tag', 'a: !!str 1\n'],
    ['a block scalar', 'a: |\n  text\n'],
    ['a plain scalar over two lines', 'a: one\n  two\n'],
    ['a quoted scalar over two lines', 'a: "one\n  two"\n'],
    ['a tab', 'a:\t1\n'],
    ['a duplicate key', 'a: 1\na: 2\n'],
    ['a float', 'a: 1.5\n'],
    ['a hex number', 'a: 0x1F\n'],
    ['a second document', 'a: 1\n---\nb: 2\n'],
    ['a flow mapping over two lines', 'a: { b: 1,\n  c: 2 }\n'],
    ['a YAML escape JSON lacks', 'a: "\\x41"\n'],
    ['a bad indentation', 'a:\n    b: 1\n  c: 2\n'],
    ['a key and a value on one line twice', 'a: b: c\n'],
    ['a merge key', 'a: { b: 1 }\nc:\n  <<: { d: 2 }\n'],
    ['a sequence at the top', '- a\n- b\n'],
    ['an empty document', '# nothing\n'],
    ['CRLF line ends', 'a: 1\r\nb: 2\r\n'],
  ])('gives up on %s', (_what, text) => {
    expect(parseYamlSubset(text)).toBeUndefined();
  });

  // Config-shaped documents, written the ways people write them: the fast path must take them.
  const scalar = fc.oneof(
    fc.constantFrom('60s', 'https://x.example.com/a?b=c#d', 'GET', 'a b c', 'it\'s', 'say "hi"', '^2\\d\\d$', 'ünï', '-x', '1', '0', '-3', 'true', 'null', '~', 'yes', 'a: b', 'a #b', '#c', '', ' lead', 'trail ', '@x', '*', '{x}', 'x, y', '[x]'),
    fc.integer({ min: -1000, max: 100_000 }),
    fc.boolean(),
    fc.constant(null),
  );
  const key = fc.constantFrom('name', 'url', 'http', 'a-b', 'X_Key', 'port', 'constructor', 'toString', 'a.b', '1x', 'true', 'say "hi"', 'k: v');
  const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
    node: fc.oneof({ depthSize: 'small' }, scalar, tie('map'), tie('list')),
    map: fc.dictionary(key, tie('node'), { maxKeys: 4 }),
    list: fc.array(tie('node'), { maxLength: 4 }),
  })).node;

  /** One rendering of a value, in block style with flow collections now and then. */
  const render = (v: unknown, style: { flow: boolean; quote: 'auto' | 'double' | 'single'; indent: number }): string => {
    const q = (s: string): string => {
      const plainOk = /^[A-Za-z_][A-Za-z0-9_./?=#&:-]*$/.test(s) && !/: |:$| #/.test(s) && !/^(true|false|null|yes|~)$/i.test(s);
      if (style.quote === 'auto' && plainOk) return s;
      if (style.quote === 'single' && !/[\u0000-\u001f]/.test(s)) return `'${s.replaceAll("'", "''")}'`;
      return JSON.stringify(s);
    };
    const flow = (x: unknown): string => {
      if (Array.isArray(x)) return `[${x.map(flow).join(', ')}]`;
      if (x !== null && typeof x === 'object') return `{ ${Object.entries(x).map(([k, y]) => `${q(k)}: ${flow(y)}`).join(', ')} }`;
      return typeof x === 'string' ? q(x) : String(x);
    };
    const pad = ' '.repeat(style.indent);
    const block = (x: unknown, at: string): string[] => {
      if (Array.isArray(x)) {
        if (x.length === 0) return [`${at}[]`];
        return x.flatMap((y) => {
          if (style.flow || y === null || typeof y !== 'object' || (Array.isArray(y) ? y.length === 0 : Object.keys(y).length === 0)) return [`${at}- ${flow(y)}`];
          return [`${at}-`, ...block(y, at + pad)];
        });
      }
      if (x !== null && typeof x === 'object') {
        const entries = Object.entries(x);
        if (entries.length === 0) return [`${at}{}`];
        return entries.flatMap(([k, y]) => {
          if (style.flow || y === null || typeof y !== 'object') return [`${at}${q(k)}: ${flow(y)}`];
          return [`${at}${q(k)}:`, ...block(y, at + pad)];
        });
      }
      return [`${at}${flow(x)}`];
    };
    return `${block(v, '').join('\n')}\n`;
  };

  it('agrees with the library on generated documents in block, flow and quoted styles', () => {
    const style = fc.record({ flow: fc.boolean(), quote: fc.constantFrom('auto' as const, 'double' as const, 'single' as const), indent: fc.integer({ min: 1, max: 4 }) });
    let read = 0;
    fc.assert(fc.property(fc.dictionary(key, value, { minKeys: 1, maxKeys: 5 }), style, (doc, s) => {
      const text = render(doc, s);
      agreesWithLibrary(text);
      if (parseYamlSubset(text) !== undefined) read++;
    }), { numRuns: 400 });
    // Most of them are in the subset: the fast path is taken, not skipped.
    expect(read).toBeGreaterThan(200);
  });

  it('never reads what the library rejects or reads otherwise, for lines of YAML-ish tokens', () => {
    const token = fc.constantFrom(
      'a', 'b', 'name', 'url', '1', '-1', '0x1', '1.5', 'true', 'null', '~', 'yes', 'https://x/#y', 'a b',
      ':', ': ', ' ', '  ', '- ', '-', '#', ' #', '{', '}', '[', ']', ',', ', ', '"', "'", '\\', '"x"', "'y'", "''", '\\"',
      '&a', '*a', '!', '|', '>', '?', '%', '@', '`', '---', '...', '\u00a0', 'é', '<<',
    );
    const line = fc.tuple(fc.integer({ min: 0, max: 6 }), fc.array(token, { maxLength: 8 })).map(([indent, parts]) => ' '.repeat(indent) + parts.join(''));
    fc.assert(fc.property(fc.array(line, { minLength: 1, maxLength: 8 }), (lines) => agreesWithLibrary(`${lines.join('\n')}\n`)), { numRuns: 3000 });
  });
});
