/**
 * `${ssm:/path}` and `${secret:name}` in monitors.yaml, resolved at cold start from SSM Parameter
 * Store (decrypted) and Secrets Manager, before the config is parsed; `${env:...}` is left to the
 * config loader. Values are cached for the life of the container (or `ttlMs`).
 */
import { isPair, isScalar, isSeq, LineCounter, parseDocument, visit, type Scalar } from 'yaml';
import { ConfigError, type ConfigIssue, type KeyPath } from '../../config/load.ts';

export { createSecretResolver, SecretResolutionError, type SecretKind, type SecretResolver, type SecretResolverOptions } from './secret-resolver.ts';
import { SecretResolutionError, type SecretKind, type SecretResolver } from './secret-resolver.ts';

export class SecretReferenceError extends ConfigError {
  override name = 'SecretReferenceError';
  constructor(issues: ConfigIssue[], readonly retryable: boolean, options?: { cause?: unknown }) {
    super(issues);
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}

/** Resolves references with GetParameter (WithDecryption) and GetSecretValue, caching each value. */
const REFERENCE = /\$\{(ssm|secret):([^}:]*)(?::-([^}]*))?\}/g;
const ANY_REFERENCE = /\$\{[a-z]+:/;

interface Site {
  node: Scalar<string>;
  path: KeyPath;
  refs: { whole: string; kind: SecretKind; name: string; fallback?: string }[];
}

/**
 * Replace every `${ssm:/path}` and `${secret:name}` in config text with its value, before the text
 * is parsed. Each value that holds one becomes a double-quoted YAML string, so a secret's quotes,
 * `#`, `: ` or line breaks cannot change the document; comments and keys are not touched, and line
 * numbers stay as they were. `${ssm:/x:-fallback}` uses the fallback when the parameter does not exist.
 * Text that is not valid YAML is returned as it is, for the config loader to report.
 *
 * @throws SecretReferenceError naming each reference that could not be resolved, at its file:line:col
 * @example
 * const config = parseConfig(await resolveReferences(text, resolver), 'monitors.yaml', process.env, { target: 'aws' });
 */
export async function resolveReferences(text: string, resolver: SecretResolver, file = 'monitors.yaml'): Promise<string> {
  if (!/\$\{(ssm|secret):/.test(text)) return text;
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: false });
  if (doc.errors.length > 0) return text;

  const sites: Site[] = [];
  const issues: ConfigIssue[] = [];
  const at = (site: { node: Scalar; path: KeyPath }) => {
    const pos = lines.linePos(site.node.range?.[0] ?? 0);
    return { file, line: pos.line, col: pos.col, path: site.path };
  };
  visit(doc, {
    Scalar(key, node, ancestors) {
      if (key === 'key' || typeof node.value !== 'string' || !/\$\{(ssm|secret):/.test(node.value)) return;
      const site: Site = { node: node as Scalar<string>, path: keyPath([...ancestors, node]), refs: [] };
      for (const m of node.value.matchAll(REFERENCE)) {
        site.refs.push({ whole: m[0], kind: m[1] as SecretKind, name: m[2]!, ...(m[3] !== undefined ? { fallback: m[3] } : {}) });
      }
      const leftover = /\$\{(ssm|secret):[^}]*\}?/.exec(node.value.replace(REFERENCE, ''));
      if (leftover) {
        issues.push({ ...at(site), message: `${leftover[0]}: not a valid reference (write \${ssm:/path}, \${secret:name}, or either with :-default)` });
      }
      for (const r of site.refs) if (r.name === '') issues.push({ ...at(site), message: `${r.whole}: the reference names no ${r.kind === 'ssm' ? 'parameter' : 'secret'}` });
      sites.push(site);
    },
  });

  // Each distinct reference once, all at the same time; the resolver caches what it fetched.
  const unique = new Map<string, { kind: SecretKind; name: string }>();
  for (const s of sites) for (const r of s.refs) if (r.name !== '') unique.set(`${r.kind}:${r.name}`, r);
  const settled = new Map<string, PromiseSettledResult<string>>();
  const results = await Promise.allSettled([...unique.values()].map((r) => resolver.resolve(r.kind, r.name)));
  [...unique.keys()].forEach((key, i) => settled.set(key, results[i]!));

  let retryable = false;
  let cause: unknown;
  const edits: { start: number; end: number; value: string }[] = [];
  for (const site of sites) {
    let ok = true;
    const value = site.node.value.replace(REFERENCE, (whole, kind: SecretKind, name: string, fallback: string | undefined) => {
      const result = settled.get(`${kind}:${name}`);
      if (!result) return whole; // an empty name, already reported
      if (result.status === 'fulfilled') {
        if (ANY_REFERENCE.test(result.value)) {
          ok = false;
          issues.push({ ...at(site), message: `${whole}: the value contains "\${...}", which the config loader would read as another reference` });
        }
        return result.value;
      }
      const err = result.reason as SecretResolutionError;
      if (err instanceof SecretResolutionError && err.code === 'NOT_FOUND' && fallback !== undefined) return fallback;
      ok = false;
      retryable ||= err instanceof SecretResolutionError ? err.retryable : true;
      cause ??= err;
      issues.push({ ...at(site), message: err instanceof SecretResolutionError ? err.message : `${whole}: ${(err as Error)?.message ?? String(err)}` });
      return whole;
    });
    const [start, end] = site.node.range ?? [0, 0];
    if (ok) edits.push({ start, end, value });
  }
  if (issues.length > 0) {
    const unique = [...new Map(issues.map((i) => [`${i.line}:${i.col}:${i.message}`, i])).values()];
    throw new SecretReferenceError(unique, retryable, { cause });
  }

  let out = text;
  for (const e of edits.sort((a, b) => b.start - a.start)) {
    // As many line breaks as the scalar spanned, so later lines keep their numbers in error messages.
    const breaks = (text.slice(e.start, e.end).match(/\n/g) ?? []).length;
    out = out.slice(0, e.start) + yamlString(e.value) + '\n'.repeat(breaks) + out.slice(e.end);
  }
  return out;
}

/** A YAML double-quoted scalar: JSON's escapes, plus the characters YAML does not allow raw. */
function yamlString(value: string): string {
  return JSON.stringify(value).replace(/[\u007f-\u009f\u2028\u2029\ufeff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The key path (`channels.pager.routingKey`) of a node from its ancestors. */
function keyPath(chain: readonly unknown[]): KeyPath {
  const path: KeyPath = [];
  chain.forEach((node, i) => {
    if (isPair(node)) {
      const key = isScalar(node.key) ? node.key.value : node.key;
      path.push(typeof key === 'number' ? key : String(key));
    } else if (isSeq(node)) {
      path.push(node.items.indexOf(chain[i + 1] as never));
    }
  });
  return path;
}
