/**
 * `${ssm:/path}` and `${secret:name}` in monitors.yaml, resolved at cold start from SSM Parameter
 * Store (decrypted) and Secrets Manager, before the config is parsed; `${env:...}` is left to the
 * config loader. Values are cached for the life of the container (or `ttlMs`).
 */
import { GetParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { isPair, isScalar, isSeq, LineCounter, parseDocument, visit, type Scalar } from 'yaml';
import { ConfigError, type ConfigIssue, type KeyPath } from '../../config/load.ts';
import { systemClock, type Clock } from '../../ports.ts';

export type SecretKind = 'ssm' | 'secret';

export interface SecretResolver {
  /** The value of one SSM parameter (decrypted) or one Secrets Manager secret (its SecretString). @throws SecretResolutionError */
  resolve(kind: SecretKind, name: string): Promise<string>;
}

export interface SecretResolverOptions {
  ssm: SSMClient;
  secrets: SecretsManagerClient;
  /** How long a value is reused. @default forever (until the container is recycled) */
  ttlMs?: number;
  /** @default the system clock */
  clock?: Clock;
}

/** One reference that could not be resolved; the message names it: `${ssm:/x}: parameter not found`. */
export class SecretResolutionError extends Error {
  override name = 'SecretResolutionError';
  constructor(
    message: string,
    readonly code: 'NOT_FOUND' | 'BINARY' | 'ACCESS_DENIED' | 'INVALID' | 'UNAVAILABLE',
    /** True when trying again later may succeed (throttling, 5xx, network). */
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A config whose references could not all be resolved: a ConfigError with one issue per reference. */
export class SecretReferenceError extends ConfigError {
  override name = 'SecretReferenceError';
  constructor(issues: ConfigIssue[], readonly retryable: boolean, options?: { cause?: unknown }) {
    super(issues);
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}

/** Resolves references with GetParameter (WithDecryption) and GetSecretValue, caching each value. */
export function createSecretResolver(options: SecretResolverOptions): SecretResolver {
  const clock = options.clock ?? systemClock;
  const cache = new Map<string, { value: Promise<string>; at: number }>();
  const fetch = (kind: SecretKind, name: string) => (kind === 'ssm' ? readParameter(options.ssm, name) : readSecret(options.secrets, name));
  return {
    resolve(kind, name) {
      const key = `${kind}:${name}`;
      const hit = cache.get(key);
      if (hit && (options.ttlMs === undefined || clock.now() - hit.at < options.ttlMs)) return hit.value;
      // The promise is cached, so concurrent resolves of one name make one request; failures are not kept.
      const value = fetch(kind, name);
      cache.set(key, { value, at: clock.now() });
      value.catch(() => {
        if (cache.get(key)?.value === value) cache.delete(key);
      });
      return value;
    },
  };
}

async function readParameter(ssm: SSMClient, name: string): Promise<string> {
  const ref = `\${ssm:${name}}`;
  try {
    const out = await ssm.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
    const value = out.Parameter?.Value;
    if (value === undefined) throw new SecretResolutionError(`${ref}: the parameter has no value`, 'INVALID', false);
    return value;
  } catch (err) {
    if (err instanceof SecretResolutionError) throw err;
    throw awsFailure(ref, err, { ParameterNotFound: 'parameter not found' });
  }
}

async function readSecret(secrets: SecretsManagerClient, name: string): Promise<string> {
  const ref = `\${secret:${name}}`;
  try {
    const out = await secrets.send(new GetSecretValueCommand({ SecretId: name }));
    if (out.SecretString !== undefined) return out.SecretString;
    if (out.SecretBinary !== undefined) {
      throw new SecretResolutionError(`${ref}: the secret is binary (SecretBinary); only text secrets (SecretString) can be referenced`, 'BINARY', false);
    }
    throw new SecretResolutionError(`${ref}: the secret has no value`, 'INVALID', false);
  } catch (err) {
    if (err instanceof SecretResolutionError) throw err;
    throw awsFailure(ref, err, { ResourceNotFoundException: 'secret not found' });
  }
}

/** AWS errors in words that name the reference; "not found" keeps its own code for `:-default`. */
function awsFailure(ref: string, err: unknown, notFound: Record<string, string>): SecretResolutionError {
  const e = err as Error & { $fault?: string; $retryable?: unknown; $metadata?: { httpStatusCode?: number } };
  const name = e?.name ?? 'Error';
  const aws = `${name}: ${e?.message ?? String(err)}`;
  const options = { cause: err };
  if (notFound[name]) return new SecretResolutionError(`${ref}: ${notFound[name]}`, 'NOT_FOUND', false, options);
  if (/AccessDenied/.test(name)) return new SecretResolutionError(`${ref}: access denied (${aws})`, 'ACCESS_DENIED', false, options);
  if (/^(InvalidKeyId|DecryptionFailure|KMS)/.test(name)) return new SecretResolutionError(`${ref}: cannot be decrypted (${aws})`, 'ACCESS_DENIED', false, options);
  if (/^(ValidationException|InvalidParameterException|InvalidRequestException)$/.test(name)) {
    return new SecretResolutionError(`${ref}: cannot be read (${aws})`, 'INVALID', false, options);
  }
  const status = e?.$metadata?.httpStatusCode;
  const retryable = Boolean(e?.$retryable) || e?.$fault === 'server' || /Throttl|Internal/.test(name) || status === undefined || status >= 500 || status === 429;
  return new SecretResolutionError(`${ref}: could not be read (${aws})`, retryable ? 'UNAVAILABLE' : 'INVALID', retryable, options);
}

/** The reference grammar of the config loader: `${ssm:/path}`, `${secret:name}`, either with `:-default`. */
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
