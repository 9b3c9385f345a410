import type { MessageAttributeValue, PublishCommandInput } from '@aws-sdk/client-sns';
import { z } from 'zod';
import { formatDuration } from '../config/duration.ts';
import type { OutboundEvent } from '../types.ts';
import { isRetryable } from '../kit/errors.ts';
import { channelBase, defineChannel, SendError } from './channel.ts';

/** `arn:<partition>:sns:<region>:<account>:<topic>`; FIFO topics end in `.fifo`. */
const TOPIC_ARN = /^arn:aws(-[a-z]+)*:sns:[a-z]{2}(-[a-z]+)+-\d:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/;

/** SNS Publish: "Subjects must be … no line breaks or control characters, and less than 100 characters long". */
export const SUBJECT_MAX = 99;

/** What `format` puts in the message body: the Publish input without the topic (that comes from the spec). */
export type SnsPublish = Required<Pick<PublishCommandInput, 'Subject' | 'Message' | 'MessageAttributes'>>;

const HEADLINE = {
  'incident.opened': 'is DOWN',
  'incident.resolved': 'is UP again',
  'incident.reminder': 'is still DOWN',
  'reaction.ran': 'reaction',
} as const;

/** The e-mail subject: ASCII, one line, under 100 characters, e.g. `[critical] checkout/api is DOWN`. */
export function snsSubject(e: OutboundEvent): string {
  let subject: string;
  if (e.event === 'summary') {
    const s = e.summary;
    subject = `Pagerless summary: ${s.up}/${s.checks} checks up${s.down > 0 ? `, ${s.down} down` : ''}`;
  } else {
    const i = e.incident;
    const what = e.event === 'reaction.ran'
      ? (e.reaction ? `reaction ${e.reaction.reaction} ${e.reaction.outcome}` : 'a reaction ran')
      : e.event === 'incident.resolved' ? `${HEADLINE[e.event]} after ${formatDuration((i.durationSeconds ?? 0) * 1000)}` : HEADLINE[e.event];
    subject = `[${i.severity}] ${i.check}${e.event === 'reaction.ran' ? ':' : ''} ${what}`;
  }
  const ascii = subject.replace(/[^\x20-\x7e]/g, '?').replace(/\s+/g, ' ').trim();
  return ascii.length > SUBJECT_MAX ? `${ascii.slice(0, SUBJECT_MAX - 3)}...` : ascii;
}

const attribute = (value: string): MessageAttributeValue => ({ DataType: 'String', StringValue: value });

/**
 * Publishes to an SNS topic: the subject for e-mail subscribers, the webhook channel's JSON as the
 * message, and `event`, `severity` and `check` as String message attributes for subscription
 * filter policies. The delivery key goes along as the `delivery` attribute, for receivers that
 * deduplicate (SNS delivers at least once).
 *
 * @example
 * ops: { type: sns, topicArn: "arn:aws:sns:us-east-1:123456789012:ops" }
 */
export const sns = defineChannel({
  type: 'sns',
  schema: z.strictObject({
    type: z.literal('sns'),
    /** The topic to publish to; the region is taken from it. */
    topicArn: z.string()
      .regex(TOPIC_ARN, 'must be an SNS topic ARN like arn:aws:sns:us-east-1:123456789012:ops')
      .superRefine((arn, ctx) => {
        if (arn.endsWith('.fifo')) ctx.addIssue({ code: 'custom', message: `"${arn}" is a FIFO topic: use a standard topic (FIFO topics need a message group per publish)` });
      }),
    ...channelBase,
  }),
  format(event) {
    const attributes: Record<string, MessageAttributeValue> = { event: attribute(event.event) };
    if (event.event !== 'summary') {
      attributes.severity = attribute(event.incident.severity);
      attributes.check = attribute(event.incident.check);
    }
    const publish: SnsPublish = { Subject: snsSubject(event), Message: JSON.stringify(event), MessageAttributes: attributes };
    return { body: JSON.stringify(publish), headers: {} };
  },
  async send(message, spec, ctx) {
    if (!ctx.aws) throw new SendError(`SNS ${spec.topicArn}: no AWS credentials/clients in this runtime`, false);
    const publish = JSON.parse(message.body) as SnsPublish;
    const delivery = Object.entries(message.headers).find(([name]) => name.toLowerCase() === 'x-pagerless-delivery')?.[1];
    if (delivery) publish.MessageAttributes = { ...publish.MessageAttributes, delivery: attribute(delivery) };
    const region = spec.topicArn.split(':')[3]!;
    // Loaded on first use: `pagerless validate` and the local engine never publish.
    const { PublishCommand } = await import('@aws-sdk/client-sns');
    try {
      await ctx.aws.sns(region).send(new PublishCommand({ TopicArn: spec.topicArn, ...publish }), { abortSignal: AbortSignal.timeout(ctx.timeoutMs) });
    } catch (err) {
      const e = err as Error;
      const why = e?.name === 'AbortError' || e?.name === 'TimeoutError' ? `no answer within ${ctx.timeoutMs}ms` : `${e?.name ?? 'Error'}: ${e?.message ?? String(err)}`;
      throw new SendError(`SNS publish to ${spec.topicArn} failed: ${why}`, isRetryable(err), { cause: err });
    }
  },
});

