import type { ResourceRecordSet, Route53Client, RRType } from '@aws-sdk/client-route-53';
import { z } from 'zod';
import type { SendContext } from '../channels/channel.ts';
import { defineReaction, reactionBase } from './reaction.ts';

/** A DNS name of two labels or more (`api.example.com`, a trailing dot allowed, `*.` leftmost). */
const DNS_NAME = /^(\*\.)?([A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9])?\.?$/;
const IPV4 = /^((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/** What `run` keeps for `revert`: the record set as it was before the failover. */
export interface FailoverMemo {
  Name: string;
  Type: string;
  TTL?: number;
  ResourceRecords?: { Value: string }[];
  AliasTarget?: { HostedZoneId: string; DNSName: string; EvaluateTargetHealth: boolean };
}

const schema = z.strictObject({
  type: z.literal('route53-failover'),
  /** The hosted zone that holds `record`. */
  hostedZoneId: z.string().regex(/^Z[A-Z0-9]{1,32}$/, 'must be a Route 53 hosted zone id like Z0123456789ABCDEFGHIJ'),
  /** The record to fail over, e.g. `api.example.com`. */
  record: z.string().max(255).regex(DNS_NAME, 'must be a DNS name like api.example.com'),
  /** The record's target while the check is down: a name (CNAME) or an IPv4 address (A). */
  to: z.string().min(1),
  /** Restore the original target once the incident is resolved. @default false */
  revert: z.boolean().default(false),
  /** @default CNAME */
  recordType: z.enum(['CNAME', 'A']).default('CNAME'),
  /** TTL of the record while failed over, in seconds. @default 60 */
  ttl: z.int().min(0).max(2_147_483_647).default(60),
  ...reactionBase,
}).superRefine((spec, ctx) => {
  const issue = (message: string) => ctx.addIssue({ code: 'custom', path: ['to'], message });
  if (spec.recordType === 'A' && !IPV4.test(spec.to)) {
    issue(`"${spec.to}" is not an IPv4 address: with recordType A, "to" must be one like 192.0.2.10`);
  } else if (spec.recordType === 'CNAME' && IPV4.test(spec.to)) {
    issue(`"${spec.to}" is an IP address: a CNAME points at a name; write recordType: A to point at an address`);
  } else if (spec.recordType === 'CNAME' && (spec.to.length > 255 || !DNS_NAME.test(spec.to))) {
    issue(`"${spec.to}" is not a DNS name like backup.example.com`);
  }
});

type Spec = z.infer<typeof schema>;

/**
 * Points a Route 53 record at a standby while the check is down (UPSERT, so running it twice is
 * harmless) and, with `revert: true`, points it back at the original target once resolved.
 * Simple records only: a record with a routing policy (a SetIdentifier) is left alone.
 *
 * @example
 * failover: { type: route53-failover, hostedZoneId: Z123EXAMPLE, record: api.example.com, to: backup.example.com, revert: true }
 */
export const route53Failover = defineReaction({
  type: 'route53-failover',
  schema,
  async run(spec, input, ctx) {
    if (!ctx.aws) return { outcome: 'failed', detail: 'no AWS credentials/clients in this runtime' };
    const r53 = ctx.aws.route53();
    const found = await currentRecord(r53, spec, ctx);
    if (typeof found === 'string') return { outcome: 'failed', detail: found };
    if (pointsAtTarget(found, spec)) {
      // Keep the memo of an earlier run: it holds the real original, not the failover target.
      return { outcome: 'executed', detail: `${spec.record} ${spec.recordType} already pointing at ${spec.to}` };
    }
    const target: FailoverMemo = { Name: found.Name, Type: spec.recordType, TTL: spec.ttl, ResourceRecords: [{ Value: spec.to }] };
    const change = await upsert(r53, spec, target, `Pagerless ${input.reaction} on ${input.check}: fail over to ${spec.to}`, ctx);
    if (change.failed) return { outcome: 'failed', detail: change.failed };
    return {
      outcome: 'executed',
      detail: `${spec.record} ${spec.recordType} now points at ${spec.to} (was ${describe(found)}; change ${change.id})`,
      memo: found,
    };
  },
  async revert(spec, input, memo, ctx) {
    if (!ctx.aws) return { outcome: 'failed', detail: 'no AWS credentials/clients in this runtime' };
    if (!isMemo(memo)) return { outcome: 'failed', detail: `nothing to restore: no original ${spec.record} record was saved when the failover ran` };
    if (memo.Type !== spec.recordType || canonicalName(memo.Name) !== canonicalName(spec.record)) {
      // The config changed since the failover: restoring would write another record.
      return { outcome: 'failed', detail: `not restored: the saved original is ${memo.Name} ${memo.Type}, the reaction now changes ${spec.record} ${spec.recordType}` };
    }
    const r53 = ctx.aws.route53();
    const found = await currentRecord(r53, spec, ctx);
    if (typeof found === 'string') return { outcome: 'failed', detail: `not restored: ${found}` };
    if (describe(found) === describe(memo)) return { outcome: 'executed', detail: `${spec.record} ${spec.recordType} already points at ${describe(memo)}` };
    if (!pointsAtTarget(found, spec)) {
      // Someone changed the record during the outage: their change wins over the saved original.
      return { outcome: 'failed', detail: `not restored: ${spec.record} now points at ${describe(found)}, not ${spec.to}; it was changed since the failover, so it is left as it is` };
    }
    const change = await upsert(r53, spec, memo, `Pagerless ${input.reaction} on ${input.check}: restore ${describe(memo)}`, ctx);
    if (change.failed) return { outcome: 'failed', detail: change.failed };
    return { outcome: 'executed', detail: `${spec.record} ${spec.recordType} points at ${describe(memo)} again (change ${change.id})` };
  },
});

/** The record set as Route 53 has it now (ListResourceRecordSets from its name and type), or why not. */
async function currentRecord(r53: Route53Client, spec: Spec, ctx: SendContext): Promise<FailoverMemo | string> {
  const { ListResourceRecordSetsCommand } = await import('@aws-sdk/client-route-53');
  let sets: ResourceRecordSet[];
  try {
    const out = await r53.send(new ListResourceRecordSetsCommand({
      HostedZoneId: spec.hostedZoneId,
      StartRecordName: spec.record,
      StartRecordType: spec.recordType,
      MaxItems: 1,
    }), { abortSignal: AbortSignal.timeout(ctx.timeoutMs) });
    sets = out.ResourceRecordSets ?? [];
  } catch (err) {
    return `ListResourceRecordSets in ${spec.hostedZoneId} failed: ${awsError(err, ctx.timeoutMs)}`;
  }
  // The listing starts at the name: the first set is a later one when the record does not exist.
  const set = sets[0];
  if (!set || !set.Name || canonicalName(set.Name) !== canonicalName(spec.record) || set.Type !== spec.recordType) {
    return `${spec.record} ${spec.recordType} not found in hosted zone ${spec.hostedZoneId}`;
  }
  if (set.SetIdentifier !== undefined) {
    return `${spec.record} ${spec.recordType} has a routing policy (set ${set.SetIdentifier}); route53-failover changes simple records only`;
  }
  const memo: FailoverMemo = { Name: set.Name, Type: set.Type };
  if (set.AliasTarget) {
    const a = set.AliasTarget;
    memo.AliasTarget = { HostedZoneId: a.HostedZoneId ?? '', DNSName: a.DNSName ?? '', EvaluateTargetHealth: a.EvaluateTargetHealth ?? false };
  } else {
    if (set.TTL !== undefined) memo.TTL = set.TTL;
    memo.ResourceRecords = (set.ResourceRecords ?? []).map((r) => ({ Value: r.Value ?? '' }));
  }
  return memo;
}

async function upsert(r53: Route53Client, spec: Spec, set: FailoverMemo, comment: string, ctx: SendContext): Promise<{ id?: string; failed?: string }> {
  const { ChangeResourceRecordSetsCommand } = await import('@aws-sdk/client-route-53');
  try {
    const out = await r53.send(new ChangeResourceRecordSetsCommand({
      HostedZoneId: spec.hostedZoneId,
      ChangeBatch: { Comment: comment.slice(0, 256), Changes: [{ Action: 'UPSERT', ResourceRecordSet: { ...set, Type: set.Type as RRType } }] },
    }), { abortSignal: AbortSignal.timeout(ctx.timeoutMs) });
    return { id: `${out.ChangeInfo?.Id?.replace(/^\/change\//, '') ?? '?'} ${out.ChangeInfo?.Status ?? ''}`.trimEnd() };
  } catch (err) {
    return { failed: `ChangeResourceRecordSets UPSERT ${spec.record} ${set.Type} in ${spec.hostedZoneId} failed: ${awsError(err, ctx.timeoutMs)}` };
  }
}

/** Route 53 answers names fully qualified, lower-case, with `*` as `\052`. */
function canonicalName(name: string): string {
  const n = name.toLowerCase().replace(/\\052/g, '*');
  return n.endsWith('.') ? n : `${n}.`;
}

/** The record holds exactly the failover target (names compared as DNS compares them). */
function pointsAtTarget(set: FailoverMemo, spec: Spec): boolean {
  const value = set.AliasTarget || set.ResourceRecords?.length !== 1 ? undefined : set.ResourceRecords[0]!.Value;
  if (value === undefined) return false;
  return spec.recordType === 'CNAME' ? canonicalName(value) === canonicalName(spec.to) : value.trim() === spec.to;
}

/** `primary.example.com`, `192.0.2.1, 192.0.2.2`, or `alias dualstack.lb.amazonaws.com.` */
function describe(set: FailoverMemo): string {
  if (set.AliasTarget) return `alias ${set.AliasTarget.DNSName}`;
  return (set.ResourceRecords ?? []).map((r) => r.Value).join(', ') || '(no value)';
}

function isMemo(memo: unknown): memo is FailoverMemo {
  const m = memo as FailoverMemo | null | undefined;
  return typeof m?.Name === 'string' && typeof m.Type === 'string'
    && (Array.isArray(m.ResourceRecords) ? m.ResourceRecords.every((r) => typeof r?.Value === 'string') : typeof m.AliasTarget?.DNSName === 'string');
}

function awsError(err: unknown, timeoutMs: number): string {
  const e = err as Error;
  if (e?.name === 'AbortError' || e?.name === 'TimeoutError') return `no answer within ${timeoutMs}ms (the change may still have been made)`;
  return `${e?.name ?? 'Error'}: ${e?.message ?? String(err)}`;
}
