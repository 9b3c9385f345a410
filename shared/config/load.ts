/**
 * Reading monitors.yaml: YAML, `${env:NAME}` references, the strict schema, and errors that say
 * file:line:col, key path and reason. The same words at validate, run and synth.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isMap, isScalar, LineCounter, parseDocument, type Document, type Node as YamlNode } from 'yaml';
import type { z } from 'zod';
import { compileConfig, LOCAL_REGION, type CompiledConfig } from './compile.ts';
import { channels } from '../channels/index.ts';
import { reactions } from '../reactions/index.ts';
import { configSchema, type RawConfig } from './schema.ts';
import { describeTarget, minIntervalMs, type Runtime } from '../checks/index.ts';
import { formatDuration } from '../kit/duration.ts';
import { createRedactor } from '../kit/redact.ts';
import { parseYamlSubset } from './yaml-subset.ts';

export type KeyPath = (string | number)[];

export interface ConfigIssue {
  file: string;
  line: number;
  col: number;
  path: KeyPath;
  message: string;
}

/** A config that cannot be used. `issues` is never empty; `message` lists them, one per line. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  readonly code = 'CONFIG_INVALID';
  constructor(readonly issues: ConfigIssue[]) {
    super(issues.map(formatIssue).join('\n'));
  }
}

/** `monitors.yaml:12:9: services[0].checks[1].http.url: "htp://x" must use http or https` */
export function formatIssue(i: ConfigIssue): string {
  return `${i.file}:${i.line}:${i.col}: ${formatPath(i.path) || '(top level)'}: ${i.message}`;
}

export function formatPath(path: KeyPath): string {
  return path.map((p, n) => (typeof p === 'number' ? `[${p}]` : n === 0 ? p : `.${p}`)).join('');
}

/** Variables `pagerless run` provides to the config itself: their values are not secrets. */
const NOT_SECRET: ReadonlySet<string> = new Set(['PAGERLESS_PORT']);

/** Where secrets and environment come from. Locally only `env`; on AWS also ssm and secret. */
export type Env = Record<string, string | undefined>;

export interface ParseOptions {
  /**
   * `local`: one region, `local`; `${ssm:}`/`${secret:}` rejected.
   * `aws`: the regions of `settings.regions` (or `settings.home`).
   * Each check's interval must reach its kind's minimum there (`minIntervalMs`: 1s locally, 10s
   * for probed kinds on AWS).
   * @default 'local'
   */
  target?: 'local' | 'aws';
  /**
   * What to do with `${ssm:...}` and `${secret:...}`: reject them (local), or keep a placeholder
   * (`cdk synth` validates a config whose secrets are resolved only at cold start).
   * @default 'reject'
   */
  secretRefs?: 'reject' | 'placeholder';
}

const PLACEHOLDER = '\u0000placeholder';
const SECRET_REFERENCE = /\$\{(ssm|secret):[^}]*\}/g;
/** What every stand-in for a reference contains (restoreReferences looks for it). */
const STAND_IN_MARK = 'pagerless-stand-in-';

/**
 * A plausible value for a reference kept for cold start, in one of two forms: a URL (for `url`
 * keys), or a URL-safe word of 8+ characters (tokens, keys). Derived from the reference text, so
 * two keys naming the same secret still collide (duplicate heartbeat tokens) and different ones do not.
 */
function standIn(reference: string, form: 'url' | 'word'): string {
  const word = `${STAND_IN_MARK}${createHash('sha256').update(reference).digest('hex').slice(0, 12)}`;
  return form === 'url' ? `https://secret.invalid/${word}` : word;
}

/**
 * How `cdk synth`, `pagerless cost` and `pagerless validate --target aws` read a config: the AWS
 * rules (prober regions, the 10s minimum interval), `${ssm:}`/`${secret:}` kept for cold start.
 */
export const AWS_OPTIONS: Readonly<ParseOptions> = Object.freeze({ target: 'aws', secretRefs: 'placeholder' });

/**
 * Read a config as it will be deployed (AWS_OPTIONS): the one path synth, cost and
 * `validate --target aws` share. Returns the text too (IAM for references is read from it).
 * @throws ConfigError
 */
export function loadAwsConfig(file: string, env: Env): { config: CompiledConfig; text: string } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return { config: loadConfig(file, env, AWS_OPTIONS), text: '' }; // throws the ConfigError validate words
  }
  return { config: parseConfig(text, file, env, AWS_OPTIONS), text };
}

/** Read, check and compile a config file. @throws ConfigError */
export function loadConfig(file: string, env: Env, options: ParseOptions = {}): CompiledConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (err as Error).message;
    throw new ConfigError([{ file, line: 1, col: 1, path: [], message: `cannot read the config: ${reason}` }]);
  }
  return parseConfig(text, file, env, options);
}

/**
 * Check and compile config text: what `pagerless validate`, `run` and `cdk synth` do.
 *
 * Most files are read by a fast reader without positions (yaml-subset.ts); only a file it does not
 * handle, or one with a mistake, is parsed again with positions, so that every issue says
 * file:line:col. Either way the words are the same.
 * @throws ConfigError
 */
export function parseConfig(text: string, file: string, env: Env, options: ParseOptions = {}): CompiledConfig {
  const fast = parseYamlSubset(text);
  if (fast !== undefined) {
    const checked = checkValues(fast, file, env, options);
    if (checked.ok) return checked.config;
  }
  return parseWithPositions(text, file, env, options);
}

/**
 * The YAML library's parse with positions, as the slow path of parseConfig does it: the baseline
 * `validate` is measured against (test/bench). @returns the document and its line counter
 */
export function parseYamlWithPositions(text: string): { doc: Document; lines: LineCounter } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  return { doc, lines };
}

/** The full path: YAML with positions, so that each issue gets its file:line:col. */
function parseWithPositions(text: string, file: string, env: Env, options: ParseOptions): CompiledConfig {
  const { doc, lines } = parseYamlWithPositions(text);
  const at = (offset: number) => lines.linePos(Math.max(0, Math.min(offset, text.length)));
  if (doc.errors.length > 0) {
    throw new ConfigError(doc.errors.map((e) => {
      const pos = at(e.pos[0]);
      return { file, line: pos.line, col: pos.col, path: [], message: `YAML: ${e.message.split('\n')[0]}` };
    }));
  }
  let js: unknown;
  try {
    js = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    // Aliases are resolved here, not while parsing: a missing anchor or an alias bomb.
    const message = (err as Error).message;
    const alias = /alias.*?: (\S+)$/i.exec(message)?.[1];
    const offset = alias ? text.indexOf(`*${alias}`) : -1;
    const pos = at(Math.max(0, offset));
    throw new ConfigError([{ file, line: pos.line, col: pos.col, path: [], message: `YAML: ${message}` }]);
  }
  const checked = checkValues(js, file, env, options);
  if (checked.ok) return checked.config;
  throw new ConfigError(dedupe(checked.issues.map((i) => {
    const pos = i.atStart ? { line: 1, col: 1 } : at(nodeOffset(doc, i.path, i.unknownKey));
    return { file, line: pos.line, col: pos.col, path: i.path, message: i.message };
  })));
}

/** An issue before it has a position: the key path (and, for an unknown key, the key). */
interface PathIssue {
  path: KeyPath;
  message: string;
  unknownKey?: string;
  /** Reported at 1:1 rather than at the node of `path`. */
  atStart?: boolean;
}

type Checked = { ok: true; config: CompiledConfig } | { ok: false; issues: PathIssue[] };

/**
 * Everything after YAML: references, the schema, compiling, the kinds' interval minimums. Issues
 * carry key paths only (positions cost a parse with positions: the caller adds them), and secrets
 * are redacted from their words.
 */
function checkValues(js: unknown, file: string, env: Env, options: ParseOptions): Checked {
  const issues: PathIssue[] = [];
  const secrets: string[] = [];
  const keepSecrets = options.secretRefs === 'placeholder';
  const placeholders = new Set<string>();
  const raw = substitute(js, [], env, (path, message) => {
    // Either way the value is not the real one: the schema's verdict on it would only confuse.
    placeholders.add(JSON.stringify(path));
    if (message !== PLACEHOLDER) issues.push({ path, message });
  }, new Set(), keepSecrets, secrets);
  const fail = (found: PathIssue[]): Checked => {
    const redact = createRedactor(secrets);
    return { ok: false, issues: found.map((i) => ({ ...i, message: redact(i.message) })) };
  };
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return fail([{ path: [], atStart: true, message: 'expected a mapping with version, settings, defaults, channels, reactions and services' }]);
  }
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    for (const iss of parsed.error.issues) {
      // A value that is a secret placeholder cannot be judged before the secret is resolved.
      if (placeholders.size > 0 && placeholders.has(JSON.stringify(iss.path))) continue;
      for (const one of describeIssue(iss, raw)) issues.push(one);
    }
  }
  if (issues.length > 0) return fail(issues);
  if (!parsed.success) {
    // Only values holding a reference failed (a URL from SSM, say): check the rest with plausible
    // stand-ins, then put the references back, as written, into the compiled config.
    // A URL first; where that fails (a token must be URL-safe), a URL-safe word.
    const words = new Set<string>();
    let standIns = checkValues(replaceSecretReferences(js, [], words), file, env, { ...options, secretRefs: 'reject' });
    if (!standIns.ok) {
      for (const i of standIns.issues) if (placeholders.has(JSON.stringify(i.path))) words.add(JSON.stringify(i.path));
      if (words.size > 0) standIns = checkValues(replaceSecretReferences(js, [], words), file, env, { ...options, secretRefs: 'reject' });
    }
    return standIns.ok ? { ok: true, config: restoreReferences(standIns.config, raw) } : standIns;
  }
  const runtime = options.target === 'aws' ? 'aws' : 'local';
  const { settings } = parsed.data;
  const regions = runtime === 'aws' ? settings.regions ?? [settings.home ?? 'us-east-1'] : [LOCAL_REGION];
  const compiled = compileConfig(parsed.data, file, regions, secrets);
  const tooFast = intervalIssues(compiled, parsed.data, runtime);
  return tooFast.length > 0 ? fail(tooFast) : { ok: true, config: compiled };
}

/**
 * Each check's interval (as inherited) against its kind's minimum in the runtime, reported where
 * the interval is written: the check, its service, or `defaults`.
 */
function intervalIssues(compiled: CompiledConfig, raw: RawConfig, runtime: Runtime): PathIssue[] {
  const issues: PathIssue[] = [];
  let n = 0;
  raw.services.forEach((svc, s) => svc.checks.forEach((chk, k) => {
    const c = compiled.checks[n++]!;
    const min = minIntervalMs(c.kind, runtime);
    if (min === undefined || c.intervalMs >= min) return;
    const [path, written] = chk.interval !== undefined ? [['services', s, 'checks', k, 'interval'], chk.interval]
      : svc.interval !== undefined ? [['services', s, 'interval'], svc.interval] : [['defaults', 'interval'], raw.defaults.interval];
    issues.push({ path, message: runtime === 'aws'
      ? `interval ${written} of ${c.id} is under the ${formatDuration(min)} minimum on AWS`
      : `interval ${written} is under the ${formatDuration(min)} minimum` });
  }));
  return issues;
}

/** Every `${ssm:...}`/`${secret:...}` replaced by its stand-in: a word at the key paths in `words`, else a URL. */
function replaceSecretReferences(value: unknown, path: KeyPath, words: ReadonlySet<string>): unknown {
  if (typeof value === 'string') return value.replace(SECRET_REFERENCE, (ref) => standIn(ref, words.has(JSON.stringify(path)) ? 'word' : 'url'));
  if (Array.isArray(value)) return value.map((v, i) => replaceSecretReferences(v, [...path, i], words));
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replaceSecretReferences(v, [...path, k], words)]));
  return value;
}

/** Put `${ssm:}`/`${secret:}` values back where stand-ins were validated (same ids, same keys). */
function restoreReferences(compiled: CompiledConfig, raw: unknown): CompiledConfig {
  const r = raw as { settings?: Record<string, unknown>; channels?: Record<string, Record<string, unknown>>; reactions?: Record<string, Record<string, unknown>>; services?: { name?: unknown; checks?: Record<string, unknown>[] }[] };
  const restore = (target: Record<string, unknown>, source: Record<string, unknown> | undefined) => {
    if (!source) return target;
    const out: Record<string, unknown> = { ...target };
    for (const [k, v] of Object.entries(target)) {
      const orig = source[k];
      if (typeof v === 'string' && typeof orig === 'string' && v.includes(STAND_IN_MARK)) out[k] = orig;
      else if (Array.isArray(v) && Array.isArray(orig)) out[k] = Object.values(restore({ ...v }, { ...orig }));
      else if (v && typeof v === 'object' && orig && typeof orig === 'object') out[k] = restore(v as Record<string, unknown>, orig as Record<string, unknown>);
    }
    return out;
  };
  const redact = createRedactor(compiled.secrets);
  const services = new Map((r.services ?? []).map((s) => [s.name, s]));
  const checks = compiled.checks.map((c) => {
    const chk = services.get(c.service)?.checks?.find((x) => x.name === c.name);
    const spec = restore(c.spec, chk?.[c.kind] as Record<string, unknown> | undefined);
    // The target shows the reference as written (`GET ${ssm:/x}`), never the stand-in or the secret.
    return { ...c, spec, target: redact(describeTarget(c.kind, spec)) };
  });
  const channels = Object.fromEntries(Object.entries(compiled.channels).map(([id, ch]) => [id, { ...ch, spec: restore(ch.spec, r.channels?.[id]) }]));
  const reactions = Object.fromEntries(Object.entries(compiled.reactions).map(([id, re]) => [id, { ...re, spec: restore(re.spec, r.reactions?.[id]) }]));
  const settings = restore(compiled.settings as unknown as Record<string, unknown>, r.settings) as unknown as CompiledConfig['settings'];
  return { ...compiled, settings, checks, channels, reactions };
}

/**
 * Replace `${env:NAME}` (and `${env:NAME:-default}`) in every string. Each value taken from the
 * environment is pushed to `secrets` (a `:-default` is written in the file, so it is not one).
 * `path` is the key path of `value`, a stack shared by the walk: copied only when reporting.
 */
function substitute(value: unknown, path: KeyPath, env: Env, report: (path: KeyPath, message: string) => void, ancestors: Set<object>, keepSecrets: boolean, secrets: string[]): unknown {
  if (typeof value === 'string') {
    if (!value.includes('${')) return value;
    return value.replace(/\$\{([a-z]+):([^}:]*)(?::-([^}]*))?\}/g, (whole, source: string, name: string, fallback: string | undefined) => {
      if (source !== 'env') {
        if ((source === 'ssm' || source === 'secret') && keepSecrets) {
          report([...path], PLACEHOLDER);
          return whole; // kept as written: the functions resolve it at cold start
        }
        if (source === 'ssm' || source === 'secret') report([...path], `${whole}: ${source} references are resolved only on AWS; use \${env:NAME} locally`);
        else report([...path], `${whole}: unknown reference source "${source}" (use env, ssm or secret)`);
        return '';
      }
      const got = env[name];
      // As in the shell, `:-` also stands in for a variable that is set but empty.
      if (got !== undefined && (got !== '' || fallback === undefined)) {
        // The variables Pagerless sets itself (the port it serves) say nothing secret.
        if (got !== '' && !NOT_SECRET.has(name)) secrets.push(got);
        return got;
      }
      if (fallback !== undefined) return fallback;
      report([...path], `environment variable ${name} is not set (write \${env:${name}:-default} to give a default)`);
      return '';
    });
  }
  if (value === null || typeof value !== 'object') return value;
  if (ancestors.has(value)) {
    report([...path], 'an alias refers to a node that contains it (a loop)');
    return null;
  }
  ancestors.add(value);
  let out: unknown;
  if (Array.isArray(value)) {
    const list: unknown[] = new Array(value.length);
    for (let i = 0; i < value.length; i++) {
      path.push(i);
      list[i] = substitute(value[i], path, env, report, ancestors, keepSecrets, secrets);
      path.pop();
    }
    out = list;
  } else {
    const map: Record<string, unknown> = {};
    for (const k of Object.keys(value)) {
      path.push(k);
      const sub = substitute((value as Record<string, unknown>)[k], path, env, report, ancestors, keepSecrets, secrets);
      path.pop();
      // An own property even for an inherited name (`constructor`), as the YAML library makes them.
      if (k in map) Object.defineProperty(map, k, { value: sub, writable: true, enumerable: true, configurable: true });
      else map[k] = sub;
    }
    out = map;
  }
  ancestors.delete(value);
  return out;
}

interface Described {
  path: KeyPath;
  message: string;
  unknownKey?: string;
}

/** Zod's issues in words that name the bad value. */
function describeIssue(iss: z.core.$ZodIssue, root: unknown): Described[] {
  const path = iss.path.filter((p): p is string | number => typeof p !== 'symbol');
  const value = valueAt(root, path);
  switch (iss.code) {
    case 'unrecognized_keys':
      return iss.keys.map((key) => ({ path: [...path, key], unknownKey: key, message: `unknown key "${key}"` }));
    case 'invalid_type':
      if (value === undefined) return [{ path, message: `required key "${path.at(-1)}" is missing` }];
      // A field's own words (a duration written as a bare number suggests the string).
      if (!iss.message.startsWith('Invalid input')) return [{ path, message: iss.message }];
      return [{ path, message: `expected ${iss.expected}, got ${show(value)}` }];
    case 'invalid_value':
      if (value === undefined) return [{ path, message: `required key "${path.at(-1)}" is missing` }];
      return [{ path, message: iss.values.length === 1 && iss.message !== 'Invalid input' && !iss.message.startsWith('Invalid')
        ? iss.message
        : `${show(value)} is not one of ${iss.values.map((v) => JSON.stringify(v)).join(', ')}` }];
    case 'invalid_union': {
      const disc = (iss as { discriminator?: string }).discriminator ?? ((iss as { note?: string }).note === 'No matching discriminator' ? 'type' : undefined);
      if (disc !== undefined || (value && typeof value === 'object' && 'type' in value)) {
        const table = path[0] === 'reactions' ? 'reaction' : 'channel';
        const where = path.at(-1) === 'type' ? path : [...path, 'type'];
        const got = valueAt(root, where);
        const known = Object.keys(table === 'reaction' ? reactions : channels).join(', ');
        return [{ path: where, message: got === undefined ? `required key "type" is missing (one of ${known})` : `unknown ${table} type ${show(got)} (use one of ${known})` }];
      }
      if (path.at(-1) === 'status') return [{ path, message: `${show(value)} is not a status: use 2xx, a list like [200, 204], or a regular expression` }];
      return [{ path, message: `${show(value)} is not valid here` }];
    }
    case 'too_small':
      if (!iss.message.startsWith('Too small')) return [{ path, message: iss.message }];
      return [{ path, message: Array.isArray(value) ? iss.message.replace(/^Too small: expected array to have >=?(\d+) items?$/, 'needs at least $1 entry') : `${show(value)} is too small (minimum ${String(iss.minimum)})` }];
    case 'invalid_key': {
      const inner = iss.issues[0]?.message;
      return [{ path, unknownKey: String(path.at(-1)), message: `invalid id ${show(path.at(-1))}${inner ? `: ${inner}` : ''}` }];
    }
    case 'too_big':
      return [{ path, message: `${show(value)} is too big (maximum ${String(iss.maximum)})` }];
    case 'invalid_format':
      return [{ path, message: `${show(value)} ${iss.message.startsWith('Invalid') ? `does not match the expected format ${iss.format === 'regex' ? '' : iss.format}`.trimEnd() : iss.message}` }];
    default:
      return [{ path, message: iss.message }];
  }
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'a mapping';
  return String(value);
}

function valueAt(root: unknown, path: KeyPath): unknown {
  let v = root;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[p];
  }
  return v;
}

/** Offset of the deepest node on the path (the key itself for an unknown key). */
function nodeOffset(doc: Document, path: KeyPath, unknownKey?: string): number {
  let node: unknown = doc.contents;
  let offset = (doc.contents as YamlNode | null)?.range?.[0] ?? 0;
  for (const [n, step] of path.entries()) {
    if (isMap(node)) {
      const pair = node.items.find((it) => (isScalar(it.key) ? it.key.value : it.key) === step);
      if (!pair) break;
      const last = n === path.length - 1;
      const keyNode = pair.key as YamlNode | null;
      if (last && unknownKey !== undefined && keyNode?.range) return keyNode.range[0];
      node = pair.value;
      const valueRange = (pair.value as YamlNode | null)?.range;
      offset = valueRange?.[0] ?? keyNode?.range?.[0] ?? offset;
    } else if (node && typeof node === 'object' && 'items' in node && Array.isArray((node as { items: unknown[] }).items) && typeof step === 'number') {
      const item = (node as { items: YamlNode[] }).items[step];
      if (!item) break;
      node = item;
      offset = item.range?.[0] ?? offset;
    } else {
      break;
    }
  }
  return offset;
}

function dedupe(issues: ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const key = formatIssue(i);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  }).sort((a, b) => a.line - b.line || a.col - b.col);
}
