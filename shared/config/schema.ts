/**
 * The schema of monitors.yaml (strict: unknown keys are errors). The unions of channels and
 * reactions, and the check-kind keys, are derived from the plugin tables.
 */
import { z } from 'zod';
import { checkKinds, CHECK_KIND_NAMES, expectKeysOf, kindOf, kindsAccepting, pingTokenOf, type CheckKindName } from '../checks/index.ts';
import type { ExpectKey, SchemaKit } from '../checks/kind.ts';
import { channels } from '../channels/index.ts';
import { reactions } from '../reactions/index.ts';
import { parseDuration } from '../kit/duration.ts';
import * as fields from '../kit/fields.ts';
import { DEFAULT_DEPLOYMENT_NAME } from '../kit/deployment-name.ts';
import { deploymentName, duration, idName, regexString } from '../kit/fields.ts';
import { STATUS_CLASSES } from '../checks/assertions.ts';

const SEVERITIES = ['critical', 'warning', 'info'] as const;

/** Keys a check inherits: defaults -> service -> check. */
const policyShape = {
  /** How often the check runs. @default 60s */
  interval: duration.optional(),
  /** Time allowed for one attempt. @default 10s */
  timeout: duration.optional(),
  /** Immediate re-tries within one round before the round counts as failed. @default 0 */
  retries: z.int().min(0).max(10).optional(),
  /** Consecutive failed rounds before a region counts as down. @default 2 */
  failures: z.int().min(1).max(100).optional(),
  /** Consecutive good rounds before a region counts as up again. @default 1 */
  recoveries: z.int().min(1).max(100).optional(),
  /** Regions that must be down to open an incident, capped at the region count. @default 2 */
  quorum: z.int().min(1).max(32).optional(),
};

export const POLICY_DEFAULTS = { interval: '60s', timeout: '10s', retries: 0, failures: 2, recoveries: 1, quorum: 2 } as const;

const expectSchema = z.strictObject({
  /** `2xx`, a list of codes, or a regular expression on the code. @default 2xx (http) */
  status: z.union([
    z.string().regex(STATUS_CLASSES),
    regexString.refine((v) => !/\dxx/i.test(v), { message: 'is not a status class: use 1xx to 5xx' }),
    z.int().min(100).max(599),
    z.array(z.int().min(100).max(599)).min(1),
  ]).optional(),
  /** Regular expression the body must match. */
  body: regexString.optional(),
  /** Slowest acceptable response. */
  maxLatency: duration.optional(),
  /** HTTPS: fail when the certificate expires in fewer days. */
  certDays: z.int().min(0).max(3650).optional(),
});

/** What kinds build their schemas from: handed in, so that the kind modules never import zod. */
const kit: SchemaKit = { z, ...fields };

type KindSchemas = { [K in CheckKindName]: ReturnType<(typeof checkKinds)[K]['schema']> };

/** The schema of each kind's key (`http:`, `tcp:` ...), built once from the check-kind table. */
export const kindSchemas = Object.fromEntries(CHECK_KIND_NAMES.map((k) => [k, checkKinds[k].schema(kit)])) as KindSchemas;

const kindKeys = Object.fromEntries(CHECK_KIND_NAMES.map((k) => [k, kindSchemas[k].optional()])) as {
  [K in CheckKindName]: z.ZodOptional<KindSchemas[K]>;
};

const idList = z.array(idName);

export const checkSchema = z.strictObject({
  name: idName,
  description: z.string().optional(),
  ...kindKeys,
  expect: expectSchema.optional(),
  severity: z.enum(SEVERITIES).optional(),
  alert: idList.optional(),
  react: idList.optional(),
  ...policyShape,
});

export const serviceSchema = z.strictObject({
  name: idName,
  /** Path for dashboards and `/status?group=` filters, e.g. `customer-abc/production`. */
  group: z.string().regex(/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/, 'must be a path like team/env (letters, digits, _ . -)').optional(),
  severity: z.enum(SEVERITIES).default('warning'),
  alert: idList.default([]),
  react: idList.default([]),
  ...policyShape,
  checks: z.array(checkSchema).min(1, 'a service needs at least one check'),
});

const channelUnion = z.discriminatedUnion('type', Object.values(channels).map((c) => c.schema) as never);
const reactionUnion = z.discriminatedUnion('type', Object.values(reactions).map((r) => r.schema) as never);

export const settingsSchema = z.strictObject({
  /**
   * AWS: the deployment's name, the prefix of every physical name (tables, queues, topics, the
   * prober function, alarms), so two deployments can share an account. @default pagerless
   */
  name: deploymentName.default(DEFAULT_DEPLOYMENT_NAME),
  /** Bearer token for /status and /api; absent (or empty) = open. */
  statusToken: z.string().optional(),
  /** Bearer token for /hooks/*; absent (or empty) = open. */
  ingestToken: z.string().optional(),
  /** AWS: region of the tables, the evaluator and the API. */
  home: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region like us-east-1').optional(),
  /** AWS: prober regions. Locally there is one region, `local`. */
  regions: z.array(z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region like eu-west-1')).min(1).optional(),
  summary: z.strictObject({ every: duration, channels: idList.min(1) }).optional(),
  /** Checks running at once (local). @default 100 */
  concurrency: z.int().min(1).max(10_000).default(100),
  /** How long results are kept (local). @default 7d */
  retention: duration.default('7d'),
});

export const configSchema = z
  .strictObject({
    version: z.literal(1, { error: 'must be 1' }),
    settings: settingsSchema.default(() => settingsSchema.parse({})),
    defaults: z.strictObject(policyShape).default({}),
    channels: z.record(idName, channelUnion).default({}),
    reactions: z.record(idName, reactionUnion).default({}),
    services: z.array(serviceSchema).min(1, 'list at least one service'),
  })
  .superRefine(crossReferences);

export type RawConfig = z.output<typeof configSchema>;

/**
 * Rules that span keys: ids that must exist, names that must be unique, one kind per check, the
 * `expect` keys its kind accepts. (A check's interval against its kind's minimum is checked once
 * inherited values are resolved: shared/config/load.ts.)
 */
function crossReferences(cfg: z.output<z.ZodObject<any>>, ctx: z.RefinementCtx): void {
  const c = cfg as RawConfig;
  const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
  const refs = (ids: string[] | undefined, table: Record<string, unknown>, what: string, path: (string | number)[]) =>
    ids?.forEach((id, i) => {
      if (!Object.hasOwn(table, id)) {
        const known = Object.keys(table);
        issue([...path, i], `unknown ${what} "${id}"${known.length ? ` (defined: ${known.join(', ')})` : ` (no ${what}s are defined)`}`);
      }
    });
  const timeout = (value: string | undefined, path: (string | number)[]) => {
    if (value !== undefined && safeMs(value) === 0) issue(path, 'a timeout of 0 always fails: give it at least 1ms');
  };
  timeout(c.defaults.timeout, ['defaults', 'timeout']);
  refs(c.settings.summary?.channels, c.channels, 'channel', ['settings', 'summary', 'channels']);
  const services = new Set<string>();
  const tokens = new Map<string, string>();
  c.services.forEach((svc, s) => {
    if (services.has(svc.name)) issue(['services', s, 'name'], `duplicate service name "${svc.name}"`);
    services.add(svc.name);
    refs(svc.alert, c.channels, 'channel', ['services', s, 'alert']);
    refs(svc.react, c.reactions, 'reaction', ['services', s, 'react']);
    timeout(svc.timeout, ['services', s, 'timeout']);
    const names = new Set<string>();
    svc.checks.forEach((chk, k) => {
      const at = ['services', s, 'checks', k];
      if (names.has(chk.name)) issue([...at, 'name'], `duplicate check name "${chk.name}" in service "${svc.name}"`);
      names.add(chk.name);
      refs(chk.alert, c.channels, 'channel', [...at, 'alert']);
      refs(chk.react, c.reactions, 'reaction', [...at, 'react']);
      timeout(chk.timeout, [...at, 'timeout']);
      const kinds = CHECK_KIND_NAMES.filter((kind) => chk[kind] !== undefined);
      if (kinds.length !== 1) {
        issue(at, kinds.length === 0
          ? `check "${chk.name}" has no kind: give it exactly one of ${CHECK_KIND_NAMES.join(', ')}`
          : `check "${chk.name}" has ${kinds.length} kinds (${kinds.join(', ')}): give it exactly one`);
        return;
      }
      const kind = kinds[0]!;
      const accepted = expectKeysOf(kind);
      for (const key of Object.keys(chk.expect ?? {}) as ExpectKey[]) {
        if ((chk.expect as Record<string, unknown>)[key] === undefined || accepted.includes(key)) continue;
        issue([...at, 'expect', key], `expect.${key} applies to ${kindsAccepting(key).join(', ')} checks only, not ${kind}`);
      }
      const token = pingTokenOf({ kind, spec: chk[kind] });
      if (token) {
        const other = tokens.get(token);
        if (other) issue([...at, kind, kindOf(kind).ping!.tokenKey], `${kind} token already used by ${other}`);
        tokens.set(token, `${svc.name}/${chk.name}`);
      }
    });
  });
}

function safeMs(value: string): number | undefined {
  try {
    return parseDuration(value);
  } catch {
    return undefined;
  }
}
