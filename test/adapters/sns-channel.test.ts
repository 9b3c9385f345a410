/**
 * The SNS channel: `format()` is pure (subject, the webhook payload as the message, String message
 * attributes for filter policies), `send()` publishes through a mocked SNS client in the topic's
 * region (shapes per the SNS Publish API reference), and AWS errors map to retryable or not.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EC2Client } from '@aws-sdk/client-ec2';
import { Route53Client } from '@aws-sdk/client-route-53';
import { PublishCommand, SNSClient, SNSServiceException } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { SqliteStore } from '../../shared/adapters/local/sqlite-store.ts';
import { SendError, type SendContext } from '../../shared/channels/channel.ts';
import { channels } from '../../shared/channels/index.ts';
import { sns, snsSubject } from '../../shared/channels/sns.ts';
import { webhook } from '../../shared/channels/webhook.ts';
import { ConfigError, parseConfig } from '../../shared/config/load.ts';
import { EffectExecutor } from '../../shared/engine/effects.ts';
import type { AwsClients } from '../../shared/ports.ts';
import type { Incident, NotifyEvent, SummaryEvent } from '../../shared/types.ts';

const snsMock = mockClient(SNSClient);
const credentials = { accessKeyId: 'AKIDTEST', secretAccessKey: 'test' };
let snsRegions: string[];
const aws: AwsClients = {
  ec2: (region) => new EC2Client({ region, credentials }),
  route53: () => new Route53Client({ region: 'us-east-1', credentials }),
  sns: (region) => {
    snsRegions.push(region);
    return new SNSClient({ region, credentials });
  },
};
const ctx: SendContext = { timeoutMs: 5_000, print: () => undefined, aws };

beforeEach(() => {
  snsMock.reset();
  snsRegions = [];
});

const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:ops';
const spec = sns.schema.parse({ type: 'sns', topicArn: TOPIC });

const INCIDENT: Incident = {
  id: 'checkout.api.mwr96d1k',
  check: 'checkout/api',
  service: 'checkout',
  group: 'customer-abc/production',
  severity: 'critical',
  openedAt: '2026-11-22T03:04:05.000Z',
  resolvedAt: null,
  durationSeconds: null,
  reason: 'status 500 does not match 2xx — “upstream” failed',
  regions: { 'us-east-1': 'down', 'eu-west-1': 'down' },
};
const OPENED: NotifyEvent = { event: 'incident.opened', incident: INCIDENT };
const RESOLVED: NotifyEvent = { event: 'incident.resolved', incident: { ...INCIDENT, resolvedAt: '2026-11-22T04:06:08.000Z', durationSeconds: 3723 } };
const REACTION: NotifyEvent = {
  event: 'reaction.ran',
  incident: INCIDENT,
  reaction: { reaction: 'reboot-web', type: 'ec2-reboot', outcome: 'executed', detail: 'reboot requested for i-0123456789abcdef0 in us-east-1', at: '2026-11-22T03:06:05.000Z' },
};
const SUMMARY: SummaryEvent = {
  event: 'summary',
  summary: { at: '2026-11-22T00:00:00.000Z', periodSeconds: 86_400, checks: 12, up: 10, down: 1, degraded: 1, pending: 0, open: [], opened: 2, resolved: 1 },
};

const str = (value: string) => ({ DataType: 'String', StringValue: value });

function sendError(err: unknown): SendError {
  expect(err).toBeInstanceOf(SendError);
  return err as SendError;
}

describe('format', () => {
  it('puts a subject, the webhook payload and String attributes into the Publish input, without the topic, and sends nothing', () => {
    const message = sns.format(OPENED, spec);
    expect(message.headers).toEqual({});
    const publish = JSON.parse(message.body);
    expect(publish).toEqual({
      Subject: '[critical] checkout/api is DOWN',
      Message: webhook.format(OPENED, { type: 'webhook', url: 'http://127.0.0.1:9/' }).body,
      MessageAttributes: { event: str('incident.opened'), severity: str('critical'), check: str('checkout/api') },
    });
    expect(JSON.parse(publish.Message)).toEqual(OPENED);
    // Pure: the same event gives the same message, and formatting sends nothing.
    expect(sns.format(OPENED, spec)).toEqual(message);
    expect(snsMock.calls()).toHaveLength(0);
  });

  it('names each event in the subject', () => {
    expect([OPENED, RESOLVED, { ...OPENED, event: 'incident.reminder' } as NotifyEvent, REACTION, { event: 'reaction.ran', incident: INCIDENT } as NotifyEvent, SUMMARY].map(snsSubject)).toEqual([
      '[critical] checkout/api is DOWN',
      '[critical] checkout/api is UP again after 1h 2m 3s',
      '[critical] checkout/api is still DOWN',
      '[critical] checkout/api: reaction reboot-web executed',
      '[critical] checkout/api: a reaction ran',
      'Pagerless summary: 10/12 checks up, 1 down',
    ]);
  });

  it('gives the summary digest an event attribute only (attribute values may not be empty)', () => {
    expect(JSON.parse(sns.format(SUMMARY, spec).body).MessageAttributes).toEqual({ event: str('summary') });
  });

  it('keeps the subject ASCII, on one line and under 100 characters', () => {
    const long: NotifyEvent = { event: 'incident.opened', incident: { ...INCIDENT, check: `caf\u00e9-\u{1F525}/${'x'.repeat(150)}\nnext` } };
    const subject = snsSubject(long);
    expect(subject.length).toBeLessThan(100);
    expect(subject).toMatch(/^[\x20-\x7e]+$/);
    expect(subject).toBe(`[critical] caf?-??/${'x'.repeat(77)}...`);
  });

});

describe('send', () => {
  it('publishes the formatted message to the topic in the region of its ARN, with the delivery key as an attribute', async () => {
    snsMock.on(PublishCommand).resolves({ MessageId: 'm-1' });
    const message = sns.format(OPENED, spec);
    await sns.send({ ...message, headers: { 'x-pagerless-delivery': 'checkout/api:opened:ops' } }, spec, ctx);
    const calls = snsMock.commandCalls(PublishCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.args[0].input).toEqual({
      TopicArn: TOPIC,
      Subject: '[critical] checkout/api is DOWN',
      Message: JSON.stringify(OPENED),
      MessageAttributes: {
        event: str('incident.opened'),
        severity: str('critical'),
        check: str('checkout/api'),
        delivery: str('checkout/api:opened:ops'),
      },
    });
    expect(snsRegions).toEqual(['eu-west-1']);
  });

  it.each([
    ['AuthorizationErrorException', 'User: arn:aws:sts::123456789012:assumed-role/x is not authorized to perform: SNS:Publish'],
    ['NotFoundException', 'Topic does not exist'],
    ['InvalidParameterException', 'Invalid parameter: Subject'],
    ['KMSAccessDeniedException', 'The ciphertext refers to a customer master key that does not exist'],
  ])('gives up on %s: the same Publish cannot succeed', async (name, text) => {
    snsMock.on(PublishCommand).rejects(new SNSServiceException({ name, message: text, $fault: 'client', $metadata: { httpStatusCode: 403 } }));
    const err = sendError(await sns.send(sns.format(OPENED, spec), spec, ctx).catch((e: unknown) => e));
    expect(err.retryable).toBe(false);
    expect(err.message).toBe(`SNS publish to ${TOPIC} failed: ${name}: ${text}`);
  });

  it.each([
    ['ThrottledException', 'client', 400],
    ['InternalErrorException', 'server', 500],
    ['KMSThrottlingException', 'client', 400],
    ['ServiceUnavailable', 'server', 503],
  ] as const)('retries %s', async (name, fault, status) => {
    snsMock.on(PublishCommand).rejects(new SNSServiceException({ name, message: 'try later', $fault: fault, $metadata: { httpStatusCode: status } }));
    const err = sendError(await sns.send(sns.format(OPENED, spec), spec, ctx).catch((e: unknown) => e));
    expect(err.retryable).toBe(true);
    expect(err.message).toBe(`SNS publish to ${TOPIC} failed: ${name}: try later`);
  });

  it('retries a network error (no HTTP answer)', async () => {
    snsMock.on(PublishCommand).rejects(Object.assign(new Error('socket hang up'), { name: 'Error', code: 'ECONNRESET' }));
    const err = sendError(await sns.send(sns.format(OPENED, spec), spec, ctx).catch((e: unknown) => e));
    expect(err.retryable).toBe(true);
    expect(err.message).toBe(`SNS publish to ${TOPIC} failed: Error: socket hang up`);
  });

  it('fails without retrying when the runtime has no AWS clients', async () => {
    const err = sendError(await sns.send(sns.format(OPENED, spec), spec, { timeoutMs: 5_000, print: () => undefined }).catch((e: unknown) => e));
    expect(err.retryable).toBe(false);
    expect(err.message).toBe(`SNS ${TOPIC}: no AWS credentials/clients in this runtime`);
    expect(snsMock.calls()).toHaveLength(0);
  });
});

describe('config', () => {
  const minimal = (channelSpecs: Record<string, unknown>) => stringify({
    version: 1,
    channels: channelSpecs,
    services: [{ name: 'shop', alert: Object.keys(channelSpecs), checks: [{ name: 'api', tcp: { host: '127.0.0.1', port: 9 } }] }],
  });

  it('is registered as type sns, parses with its events filter, and rejects topic ARNs that are not SNS topic ARNs, and FIFO topics, naming the value', () => {
    expect(channels.sns).toBe(sns);
    const cfg = parseConfig(minimal({ ops: { type: 'sns', topicArn: 'arn:aws:sns:us-east-1:123456789012:ops', events: ['incident.opened'] } }), 'monitors.yaml', {});
    expect(cfg.channels.ops).toEqual({ id: 'ops', type: 'sns', events: ['incident.opened'], spec: { type: 'sns', topicArn: 'arn:aws:sns:us-east-1:123456789012:ops', events: ['incident.opened'] } });
    let issues: string[] = [];
    try {
      parseConfig(minimal({
        a: { type: 'sns', topicArn: 'arn:aws:sns:us-east-1:12345:ops' },
        b: { type: 'sns', topicArn: 'arn:aws:sqs:us-east-1:123456789012:ops' },
        c: { type: 'sns', topicArn: 'ops' },
        d: { type: 'sns', topicArn: 'arn:aws:sns:us-east-1:123456789012:ops.fifo' },
        e: { type: 'sns' },
      }), 'monitors.yaml', {});
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      issues = err.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    }
    expect(issues).toEqual([
      'channels.a.topicArn: "arn:aws:sns:us-east-1:12345:ops" must be an SNS topic ARN like arn:aws:sns:us-east-1:123456789012:ops',
      'channels.b.topicArn: "arn:aws:sqs:us-east-1:123456789012:ops" must be an SNS topic ARN like arn:aws:sns:us-east-1:123456789012:ops',
      'channels.c.topicArn: "ops" must be an SNS topic ARN like arn:aws:sns:us-east-1:123456789012:ops',
      'channels.d.topicArn: "arn:aws:sns:us-east-1:123456789012:ops.fifo" is a FIFO topic: use a standard topic (FIFO topics need a message group per publish)',
      'channels.e.topicArn: required key "topicArn" is missing',
    ]);
  });
});

describe('through the effect executor', () => {
  it('publishes once with the effect key as delivery attribute, and gives up on AuthorizationError after one attempt', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pagerless-sns-'));
    const store = new SqliteStore(join(dir, 'pagerless.db'));
    try {
      const config = parseConfig(minimalConfig(), 'monitors.yaml', {});
      const executor = new EffectExecutor({
        outbox: store, incidents: store, memos: store, config, aws, clock: { now: () => Date.parse('2026-11-22T03:05:00Z') },
        log: { info: () => undefined, warn: () => undefined, error: () => undefined }, print: () => undefined,
      });
      // The resolved notice is refused, the opened one goes through.
      snsMock.on(PublishCommand).callsFake((input: { Subject: string }) => {
        if (input.Subject.includes('UP again')) {
          throw new SNSServiceException({ name: 'AuthorizationErrorException', message: 'not authorized', $fault: 'client', $metadata: { httpStatusCode: 403 } });
        }
        return { MessageId: 'm-1' };
      });
      await store.enqueue([
        { kind: 'notify', key: 'checkout/api:opened:ops', channel: 'ops', payload: OPENED },
        { kind: 'notify', key: 'checkout/api:resolved:ops', channel: 'ops', payload: RESOLVED },
      ], Date.parse('2026-11-22T03:04:05Z'));
      await executor.drain();
      const calls = snsMock.commandCalls(PublishCommand).map((c) => c.args[0].input);
      // One attempt each: the refused one is given up, not left pending for a retry.
      expect(calls.map((c) => c.MessageAttributes!.delivery).sort((a, b) => a!.StringValue!.localeCompare(b!.StringValue!)))
        .toEqual([str('checkout/api:opened:ops'), str('checkout/api:resolved:ops')]);
      expect(await store.pendingCount()).toBe(0);
      const timeline = await store.timeline(INCIDENT.id);
      expect(timeline.map((e) => `${e.kind}: ${e.detail}`).sort()).toEqual([
        'notified: incident.opened sent to ops',
        `notify-failed: incident.resolved to ops: SNS publish to ${TOPIC} failed: AuthorizationErrorException: not authorized`,
      ]);
    } finally {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

function minimalConfig(): string {
  return stringify({
    version: 1,
    channels: { ops: { type: 'sns', topicArn: TOPIC } },
    services: [{ name: 'checkout', alert: ['ops'], checks: [{ name: 'api', tcp: { host: '127.0.0.1', port: 9 } }] }],
  });
}
