/**
 * A compiled config as JSON, for the Lambda functions: `cdk synth` validates monitors.yaml and
 * bundles this, so a function starts without the YAML parser or the schema (zod), and a config it
 * runs is always one that passed `pagerless validate`. Regular expressions travel as source + flags;
 * `${ssm:...}` and `${secret:...}` references travel as written, resolved at cold start
 * (withResolvedReferences). `secrets` carries the `${env:}` values resolved at synth; they are in
 * the specs already, so listing them adds nothing a reader of the bundle could not see.
 */
import type { Expectations, StatusMatcher } from '../checks/assertions.ts';
import type { CompiledConfig } from './compile.ts';

type SerialStatus = Exclude<StatusMatcher, { kind: 'regex' }> | { kind: 'regex'; source: string; flags: string; text: string };
type SerialExpect = Omit<Expectations, 'status' | 'body'> & { status?: SerialStatus; body?: { source: string; flags: string } };

export const COMPILED_CONFIG_VERSION = 1;

export function serializeCompiled(config: CompiledConfig): string {
  return JSON.stringify({
    v: COMPILED_CONFIG_VERSION,
    ...config,
    checks: config.checks.map((c) => {
      const e: SerialExpect = { ...c.expect, status: undefined, body: undefined };
      if (c.expect.status) e.status = c.expect.status.kind === 'regex' ? { kind: 'regex', source: c.expect.status.regex.source, flags: c.expect.status.regex.flags, text: c.expect.status.text } : c.expect.status;
      if (c.expect.body) e.body = { source: c.expect.body.source, flags: c.expect.body.flags };
      return { ...c, expect: e };
    }),
  });
}

export function hydrateCompiled(text: string): CompiledConfig {
  const raw = JSON.parse(text) as CompiledConfig & { v?: number; checks: (Omit<CompiledConfig['checks'][number], 'expect'> & { expect: SerialExpect })[] };
  if (raw.v !== COMPILED_CONFIG_VERSION) throw new Error(`compiled config version ${String(raw.v)} is not ${COMPILED_CONFIG_VERSION}: redeploy with this version's cdk synth`);
  const { v: _v, ...config } = raw;
  return {
    ...config,
    // A config compiled before `secrets` existed: its `${env:}` values were never recorded.
    secrets: config.secrets ?? [],
    checks: raw.checks.map((c) => {
      const expect: Expectations = { ...c.expect, status: undefined, body: undefined };
      delete expect.status;
      delete expect.body;
      const s = c.expect.status as SerialStatus | undefined;
      if (s) expect.status = s.kind === 'regex' ? { kind: 'regex', regex: new RegExp(s.source, s.flags), text: s.text } : s;
      if (c.expect.body) expect.body = new RegExp(c.expect.body.source, c.expect.body.flags);
      return { ...c, expect };
    }),
  };
}

/**
 * Which references a function resolves at cold start (and may read: infra grants exactly these).
 * `probe`: the checks' (a prober sends nothing and serves nothing); `serve`: also the status and
 * ingest tokens (the HTTP functions); `all`: also channels and reactions (the functions that send).
 */
export type ReferenceScope = 'probe' | 'serve' | 'all';

/** The part of the config a function of that scope resolves references in. */
export function configInScope(config: CompiledConfig, scope: ReferenceScope): CompiledConfig {
  if (scope === 'all') return config;
  const settings = scope === 'serve' ? config.settings : { ...config.settings, statusToken: undefined, ingestToken: undefined };
  return { ...config, channels: {}, reactions: {}, settings };
}

/** The references a function of that scope resolves, in order of appearance. */
export function referencesInScope(config: CompiledConfig, scope: ReferenceScope): string[] {
  return secretReferences(configInScope(config, scope));
}

/** Every `${ssm:...}` / `${secret:...}` reference in the config's values, in order of appearance. */
export function secretReferences(config: CompiledConfig): string[] {
  const found = new Set<string>();
  const walk = (v: unknown) => {
    if (typeof v === 'string') for (const m of v.matchAll(/\$\{(ssm|secret):[^}]*\}/g)) found.add(m[0]);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(config);
  return [...found];
}

/**
 * The config a function runs: each `${ssm:}`/`${secret:}` reference replaced by its value, every
 * value added to `secrets`, and the display strings (`target`) left as compiled: they show the
 * reference as written, never the secret.
 * @example const config = withResolvedReferences(hydrateCompiled(json), resolved)
 */
export function withResolvedReferences(config: CompiledConfig, resolved: ReadonlyMap<string, string>): CompiledConfig {
  if (resolved.size === 0) return config;
  const out = replaceReferences({ ...config, secrets: [] }, resolved);
  return {
    ...out,
    checks: out.checks.map((c, i) => ({ ...c, target: config.checks[i]!.target })),
    secrets: [...new Set([...config.secrets, ...resolved.values()])],
  };
}

/** Replace each reference in string values with its resolved value (a value, never config text). */
export function replaceReferences<T>(value: T, resolved: ReadonlyMap<string, string>): T {
  if (typeof value === 'string') return value.replace(/\$\{(ssm|secret):[^}]*\}/g, (ref) => resolved.get(ref) ?? ref) as T;
  if (Array.isArray(value)) return value.map((v) => replaceReferences(v, resolved)) as T;
  if (value instanceof RegExp) return value;
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replaceReferences(v, resolved)])) as T;
  return value;
}
