import { z } from 'zod';
import { defineReaction, reactionBase } from './reaction.ts';

/** EC2 instance ids: `i-` and 8 (older instances) or 17 hex digits. */
export const INSTANCE_ID = /^i-[0-9a-f]{8,17}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;

/**
 * Reboots EC2 instances (RebootInstances: asynchronous; EC2 hard-reboots an instance that does not
 * shut down cleanly within a few minutes). Not revertable.
 *
 * @example
 * reboot-web: { type: ec2-reboot, instanceIds: [i-0123456789abcdef0], region: us-east-1, after: 3 }
 */
export const ec2Reboot = defineReaction({
  type: 'ec2-reboot',
  schema: z.strictObject({
    type: z.literal('ec2-reboot'),
    /** The instances to reboot, in `region`. */
    instanceIds: z.array(z.string().regex(INSTANCE_ID, 'must be an EC2 instance id like i-0123456789abcdef0')).min(1).max(50),
    /** The instances' AWS region. */
    region: z.string().regex(REGION, 'must be an AWS region like us-east-1'),
    ...reactionBase,
  }),
  async run(spec, _input, ctx) {
    if (!ctx.aws) return { outcome: 'failed', detail: 'no AWS credentials/clients in this runtime' };
    // Loaded on first use: the EC2 client is large, and `pagerless validate` never needs it.
    const { RebootInstancesCommand } = await import('@aws-sdk/client-ec2');
    const ids = spec.instanceIds.join(', ');
    try {
      await ctx.aws.ec2(spec.region).send(new RebootInstancesCommand({ InstanceIds: spec.instanceIds }), { abortSignal: AbortSignal.timeout(ctx.timeoutMs) });
    } catch (err) {
      return { outcome: 'failed', detail: `RebootInstances ${ids} in ${spec.region} failed: ${awsError(err, ctx.timeoutMs)}` };
    }
    return { outcome: 'executed', detail: `reboot requested for ${ids} in ${spec.region}` };
  },
});

/** `IncorrectInstanceState: The instance 'i-…' is not in a state from which it can be rebooted.` */
function awsError(err: unknown, timeoutMs: number): string {
  const e = err as Error;
  if (e?.name === 'AbortError' || e?.name === 'TimeoutError') return `no answer within ${timeoutMs}ms (the reboot may still happen)`;
  return `${e?.name ?? 'Error'}: ${e?.message ?? String(err)}`;
}
