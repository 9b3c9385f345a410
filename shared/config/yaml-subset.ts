/**
 * A fast reader for the YAML most monitors.yaml files are written in: block mappings and sequences,
 * one-line flow collections, plain and quoted one-line scalars, comments. It keeps no positions,
 * and it gives up (returns undefined) on anything else — anchors, tags, block scalars, multi-line
 * scalars, tabs, duplicate keys, floats — so that the full parser (the `yaml` library, with
 * positions) reads those files and words their errors. When it returns a value, that value is what
 * `parseDocument(text).toJS()` returns (YAML 1.2 core schema); test/unit/config.yaml-subset.test.ts
 * checks that against the library on generated documents.
 */

/** Thrown inside the reader when the text leaves the subset; never escapes it. */
class OutsideSubset extends Error {}

interface Line {
  indent: number;
  /** The line without its indentation (comment-only and blank lines are dropped). */
  content: string;
}

const giveUp = (): never => {
  throw new OutsideSubset();
};

/** Characters that make a line or value something this reader does not handle (tabs, CR, BOM, controls). */
const UNHANDLED_CHARS = /[\t\r\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\u0085\u2028\u2029\ufeff]/;
/** Plain keys: ids, header names, paths. Anything else is left to the full parser. */
const PLAIN_KEY = /^[A-Za-z0-9_][A-Za-z0-9_./-]*$/;
/** Characters a plain scalar may not start with (YAML indicators). */
const INDICATOR = /^[-?:,[\]{}#&*!|>'"%@`]/;

/**
 * Read `text` as YAML if it stays inside the subset.
 * @returns the document's value (always a mapping), or undefined when the full parser must read it
 */
export function parseYamlSubset(text: string): Record<string, unknown> | undefined {
  if (UNHANDLED_CHARS.test(text)) return undefined;
  const lines: Line[] = [];
  for (const raw of text.split('\n')) {
    let indent = 0;
    while (raw.charCodeAt(indent) === 32) indent++;
    const content = trimEnd(raw.slice(indent));
    if (content === '' || content[0] === '#') continue;
    lines.push({ indent, content });
  }
  if (lines[0]?.indent === 0 && lines[0].content === '---') lines.shift();
  if (lines.length === 0) return undefined;
  for (const l of lines) {
    // Document markers and directives: the full parser's business.
    if (l.indent === 0 && /^(---|\.\.\.)( |$)|^%/.test(l.content)) return undefined;
  }
  try {
    const reader = new Reader(lines);
    const value = reader.block(lines[0]!.indent);
    if (!reader.done() || value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
    return value as Record<string, unknown>;
  } catch (err) {
    if (err instanceof OutsideSubset) return undefined;
    throw err;
  }
}

class Reader {
  private pos = 0;

  constructor(private readonly lines: Line[]) {}

  done(): boolean {
    return this.pos === this.lines.length;
  }

  /** The block node whose first line is the current one, at `indent`. */
  block(indent: number): unknown {
    return isSeqItem(this.lines[this.pos]!.content) ? this.seq(indent) : this.map(indent);
  }

  /** The value of `key:` or `-` written on the following lines, or null when there are none. */
  private nested(indent: number, sameIndentSeq: boolean): unknown {
    const next = this.lines[this.pos];
    if (!next) return null;
    if (next.indent > indent) return this.block(next.indent);
    if (sameIndentSeq && next.indent === indent && isSeqItem(next.content)) return this.seq(indent);
    return null;
  }

  private seq(indent: number): unknown[] {
    const out: unknown[] = [];
    for (let line = this.lines[this.pos]; line && line.indent === indent && isSeqItem(line.content); line = this.lines[this.pos]) {
      const rest = line.content.slice(1);
      const after = trimStart(rest);
      if (after === '' || after[0] === '#') {
        this.pos++;
        out.push(this.nested(indent, false));
      } else if (isSeqItem(after)) {
        giveUp(); // `- - x`
      } else if (splitKey(after)) {
        // A mapping that starts on the item's line: its keys line up with the first one.
        const col = indent + 1 + (rest.length - after.length);
        this.lines[this.pos] = { indent: col, content: after };
        out.push(this.map(col));
      } else {
        out.push(inlineValue(after));
        this.pos++;
      }
      if ((this.lines[this.pos]?.indent ?? -1) > indent) giveUp(); // a continuation line or a bad indent
    }
    return out;
  }

  private map(indent: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const seen = new Set<string>();
    for (let line = this.lines[this.pos]; line && line.indent === indent; line = this.lines[this.pos]) {
      const entry = splitKey(line.content) ?? giveUp();
      if (seen.has(entry.key)) giveUp(); // the full parser reports the duplicate, with its position
      seen.add(entry.key);
      let value: unknown;
      if (entry.rest === '' || entry.rest[0] === '#') {
        this.pos++;
        value = this.nested(indent, true);
      } else {
        value = inlineValue(entry.rest);
        this.pos++;
      }
      setKey(out, entry.key, value);
      if ((this.lines[this.pos]?.indent ?? -1) > indent) giveUp();
    }
    return out;
  }
}

// YAML's white space is spaces (and tabs, left to the full parser): String#trim would also eat U+00A0.
const trimStart = (s: string): string => s.replace(/^ +/, '');
const trimEnd = (s: string): string => s.replace(/ +$/, '');

function isSeqItem(content: string): boolean {
  return content === '-' || content.startsWith('- ');
}

/** As the `yaml` library stores keys: an inherited name (`constructor`) becomes an own property. */
function setKey(map: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__' || key === '<<') giveUp();
  if (key in map) Object.defineProperty(map, key, { value, writable: true, enumerable: true, configurable: true });
  else map[key] = value;
}

/**
 * `key: rest` of a block mapping line: the key and what follows `: ` (trimmed), or undefined when
 * the line is not a mapping entry at all. Gives up on keys outside the subset.
 */
function splitKey(content: string): { key: string; rest: string } | undefined {
  const q = content[0];
  if (q === '"' || q === "'") {
    const [key, end] = quoted(content, 0);
    if (content[end] !== ':') return undefined; // a quoted scalar, not a key
    if (end + 1 < content.length && content[end + 1] !== ' ') giveUp();
    if (key.length > 1000) giveUp();
    return { key, rest: trimStart(content.slice(end + 1)) };
  }
  if (q === '{' || q === '[') return undefined; // a flow collection (or a complex key: left to inlineValue)
  const hash = content.indexOf(' #');
  const scope = hash === -1 ? content : content.slice(0, hash);
  let colon = scope.indexOf(': ');
  if (colon === -1) {
    if (!scope.endsWith(':')) return undefined;
    colon = scope.length - 1;
  }
  const key = content.slice(0, colon);
  if (!PLAIN_KEY.test(key) || key.length > 1000 || typeof plainValue(key) !== 'string') giveUp();
  return { key, rest: trimStart(content.slice(colon + 1)) };
}

/** A value written on the rest of a line (after `key: ` or `- `). */
function inlineValue(text: string): unknown {
  const c = text[0];
  let value: unknown;
  let end: number;
  if (c === '{' || c === '[') [value, end] = flowNode(text, 0);
  else if (c === '"' || c === "'") [value, end] = quoted(text, 0);
  else {
    if (INDICATOR.test(text) && !(c === '-' && text.length > 1 && text[1] !== ' ')) giveUp();
    const hash = text.indexOf(' #');
    const plain = trimEnd(hash === -1 ? text : text.slice(0, hash));
    if (plain.includes(': ') || plain.endsWith(':')) giveUp();
    return plainValue(plain);
  }
  const tail = text.slice(end);
  if (tail !== '' && !/^ +(#.*)?$/.test(tail)) giveUp();
  return value;
}

/** A quoted scalar starting at `i`, on this line: its value and the index after the closing quote. */
function quoted(text: string, i: number): [string, number] {
  const q = text[i];
  if (q === "'") {
    let j = i + 1;
    for (;;) {
      const close = text.indexOf("'", j);
      if (close === -1) giveUp(); // continues on the next line
      if (text[close + 1] === "'") {
        j = close + 2;
        continue;
      }
      return [text.slice(i + 1, close).replaceAll("''", "'"), close + 1];
    }
  }
  let j = i + 1;
  while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
  if (j >= text.length) giveUp();
  const body = text.slice(i, j + 1);
  // JSON's escapes are a subset of YAML's; any other escape (\x41, \e, a line break) is left to the full parser.
  if (body.replace(/\\["\\/bfnrtu]/g, '').includes('\\')) giveUp();
  try {
    return [JSON.parse(body) as string, j + 1];
  } catch {
    return giveUp();
  }
}

const skipSpaces = (text: string, i: number): number => {
  while (text[i] === ' ') i++;
  return i;
};

/** A flow node (`{...}`, `[...]`, a quoted or plain scalar) at `i`: its value and the index after it. */
function flowNode(text: string, i: number): [unknown, number] {
  const c = text[i];
  if (c === '{') return flowMap(text, i);
  if (c === '[') return flowSeq(text, i);
  if (c === '"' || c === "'") return quoted(text, i);
  const [plain, end] = flowPlain(text, i);
  if (text[end] === ':') giveUp(); // `[a: b]`, a pair inside a sequence
  return [plainValue(plain), end];
}

/** A plain scalar inside a flow collection: it ends at `,[]{}`, at ` #`, or at `:` followed by a space or an indicator. */
function flowPlain(text: string, i: number): [string, number] {
  if (INDICATOR.test(text.slice(i, i + 1)) && !(text[i] === '-' && /[^ ,[\]{}]/.test(text[i + 1] ?? ' '))) giveUp();
  let j = i;
  for (; j < text.length; j++) {
    const ch = text[j]!;
    if (ch === ',' || ch === '[' || ch === ']' || ch === '{' || ch === '}') break;
    if (ch === '#' && text[j - 1] === ' ') break;
    if (ch === ':' && (j + 1 === text.length || ' ,[]{}'.includes(text[j + 1]!))) break;
  }
  const plain = trimEnd(text.slice(i, j));
  if (plain === '') giveUp();
  return [plain, j];
}

function flowMap(text: string, i: number): [Record<string, unknown>, number] {
  const out: Record<string, unknown> = {};
  const seen = new Set<string>();
  i = skipSpaces(text, i + 1);
  if (text[i] === '}') return [out, i + 1];
  for (;;) {
    let key: string;
    if (text[i] === '"' || text[i] === "'") [key, i] = quoted(text, i);
    else {
      [key, i] = flowPlain(text, i);
      if (!PLAIN_KEY.test(key) || typeof plainValue(key) !== 'string') giveUp();
    }
    // `key: value` only: a key without a value, or `key:value`, is the full parser's business.
    if (text[i] !== ':' || text[i + 1] !== ' ') giveUp();
    if (seen.has(key) || key.length > 1000) giveUp();
    seen.add(key);
    i = skipSpaces(text, i + 2);
    if (text[i] === ',' || text[i] === '}') giveUp(); // an empty value
    const [value, end] = flowNode(text, i);
    setKey(out, key, value);
    i = skipSpaces(text, end);
    if (text[i] === '}') return [out, i + 1];
    if (text[i] !== ',') giveUp();
    i = skipSpaces(text, i + 1);
    if (text[i] === '}' || text[i] === ',') giveUp(); // a trailing or doubled comma
  }
}

function flowSeq(text: string, i: number): [unknown[], number] {
  const out: unknown[] = [];
  i = skipSpaces(text, i + 1);
  if (text[i] === ']') return [out, i + 1];
  for (;;) {
    if (text[i] === ',' || text[i] === ']') giveUp();
    const [value, end] = flowNode(text, i);
    out.push(value);
    i = skipSpaces(text, end);
    if (text[i] === ':') giveUp();
    if (text[i] === ']') return [out, i + 1];
    if (text[i] !== ',') giveUp();
    i = skipSpaces(text, i + 1);
    if (text[i] === ']' || text[i] === ',') giveUp();
  }
}

const NULL = /^(?:~|[Nn]ull|NULL)$/;
const BOOL = /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/;
const INT = /^[-+]?[0-9]+$/;
/** Floats, hex and octal ints, infinities and NaN of the core schema: rare here, so left to the full parser. */
const OTHER_NUMBER = /^(?:0o[0-7]+|0x[0-9a-fA-F]+|[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?)$/;

/** A plain scalar as the YAML 1.2 core schema reads it. */
function plainValue(text: string): unknown {
  if (NULL.test(text)) return null;
  if (BOOL.test(text)) return text[0] === 't' || text[0] === 'T';
  if (INT.test(text)) return parseInt(text, 10);
  if (OTHER_NUMBER.test(text)) giveUp();
  return text;
}
