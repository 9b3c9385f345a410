/**
 * Compile a validated config into what the engine runs: one flat list of checks with every inherited
 * value resolved (defaults -> service -> check), durations in ms, regular expressions built.
 */
import { CHECK_KIND_NAMES, describeTarget, kindOf, type CheckKindName } from '../checks/index.ts';
import { statusMatcher, type Expectations } from '../checks/assertions.ts';
import type { Severity } from '../types.ts';
import { parseDuration } from '../kit/duration.ts';
import { createRedactor } from '../kit/redact.ts';
import { POLICY_DEFAULTS, type RawConfig } from './schema.ts';

/** The region of the local engine. */
export const LOCAL_REGION = 'local';

export interface CompiledCheck {
  /** `service/check`. */
  id: string;
  service: string;
  name: string;
  group: string | null;
  severity: Severity;
  kind: CheckKindName;
  /** The kind's own spec, as its schema parsed it. */
  spec: any;
  /** Human-readable target: `GET https://...`, `redis:6379`, with every secret replaced by `***`. */
  target: string;
  expect: Expectations;
  intervalMs: number;
  timeoutMs: number;
  retries: number;
  failures: number;
  recoveries: number;
  quorum: number;
  alert: string[];
  react: string[];
}

export interface CompiledReaction {
  id: string;
  type: string;
  spec: any;
  after: number;
  cooldownMs: number;
  /** Undo it once the incident resolves (reactions that support it, e.g. route53-failover). */
  revert: boolean;
}

export interface CompiledConfig {
  file: string;
  settings: {
    /** The deployment name (AWS physical names' prefix). */
    name: string;
    statusToken?: string;
    ingestToken?: string;
    home?: string;
    regions: string[];
    summary?: { everyMs: number; channels: string[] };
    concurrency: number;
    retentionMs: number;
  };
  channels: Record<string, { id: string; type: string; spec: any; events?: string[] }>;
  reactions: Record<string, CompiledReaction>;
  services: { name: string; group: string | null; severity: Severity; checks: string[] }[];
  checks: CompiledCheck[];
  /**
   * Every value a `${...}` reference resolved to, to redact wherever text is shown (API, dashboard,
   * logs, alerts): `createRedactor(config.secrets)` from shared/kit/redact.ts. Display strings the
   * compiler builds (`target`) are redacted already. Never shown itself.
   */
  secrets: string[];
}

/**
 * @param regions the regions probes run in: `['local']` for `pagerless run`, settings.regions on AWS.
 * @param secrets the values `${...}` references resolved to (redacted from `target`). @default none
 */
export function compileConfig(raw: RawConfig, file: string, regions: string[] = [LOCAL_REGION], secrets: readonly string[] = []): CompiledConfig {
  const redact = createRedactor(secrets);
  const checks: CompiledCheck[] = [];
  const services = raw.services.map((svc) => {
    const ids: string[] = [];
    for (const chk of svc.checks) {
      const pick = <K extends keyof typeof POLICY_DEFAULTS>(key: K) => chk[key] ?? svc[key] ?? raw.defaults[key] ?? POLICY_DEFAULTS[key];
      const kind = CHECK_KIND_NAMES.find((k) => chk[k] !== undefined)!;
      const spec = chk[kind];
      const expect: Expectations = {};
      const e = chk.expect;
      if (e?.status !== undefined) expect.status = statusMatcher(e.status);
      else if (kindOf(kind).defaultStatus !== undefined) expect.status = statusMatcher(kindOf(kind).defaultStatus!);
      if (e?.body !== undefined) expect.body = new RegExp(e.body);
      if (e?.maxLatency !== undefined) expect.maxLatencyMs = parseDuration(e.maxLatency);
      if (e?.certDays !== undefined) expect.certDays = e.certDays;
      const id = `${svc.name}/${chk.name}`;
      ids.push(id);
      checks.push({
        id,
        service: svc.name,
        name: chk.name,
        group: svc.group ?? null,
        severity: chk.severity ?? svc.severity,
        kind,
        spec,
        target: redact(describeTarget(kind, spec)),
        expect,
        intervalMs: parseDuration(pick('interval')),
        timeoutMs: parseDuration(pick('timeout')),
        retries: pick('retries'),
        failures: pick('failures'),
        recoveries: pick('recoveries'),
        quorum: Math.min(pick('quorum'), regions.length),
        alert: chk.alert ?? svc.alert,
        react: chk.react ?? svc.react,
      });
    }
    return { name: svc.name, group: svc.group ?? null, severity: svc.severity, checks: ids };
  });
  const s = raw.settings;
  return {
    file,
    settings: {
      name: s.name,
      statusToken: s.statusToken || undefined,
      ingestToken: s.ingestToken || undefined,
      home: s.home,
      regions,
      summary: s.summary ? { everyMs: parseDuration(s.summary.every), channels: s.summary.channels } : undefined,
      concurrency: s.concurrency,
      retentionMs: parseDuration(s.retention),
    },
    channels: Object.fromEntries(Object.entries(raw.channels).map(([id, spec]) => {
      const c = spec as { type: string; events?: string[] };
      return [id, { id, type: c.type, spec, events: c.events }];
    })),
    reactions: Object.fromEntries(Object.entries(raw.reactions).map(([id, spec]) => {
      const r = spec as { type: string; after: number; cooldown: string; revert?: boolean };
      return [id, { id, type: r.type, spec, after: r.after, cooldownMs: parseDuration(r.cooldown), revert: r.revert === true }];
    })),
    services,
    checks,
    secrets: [...new Set(secrets)],
  };
}
