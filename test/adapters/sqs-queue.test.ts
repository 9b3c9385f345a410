/** The scheduler's queue adapter against the SQS emulator: batches of 10, delays, the prober's parser. */
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseProbeMessage, SqsProbeQueue } from '../../shared/adapters/aws/sqs-queue.ts';
import { MAX_MESSAGE_BYTES, packMessages } from '../../shared/engine/schedule.ts';
import { startSqsLocal } from '../support/sqs-local.ts';

let sqs: Awaited<ReturnType<typeof startSqsLocal>>;
beforeAll(async () => {
  sqs = await startSqsLocal();
});
afterAll(() => sqs.stop());

async function drain(url: string, region: string): Promise<string[]> {
  const bodies: string[] = [];
  for (let i = 0; i < 20; i++) {
    const out = await sqs.client(region).send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
    if (!out.Messages?.length) break;
    bodies.push(...out.Messages.map((m) => m.Body!));
  }
  return bodies;
}

describe('SqsProbeQueue', () => {
  it('sends every message to its region\'s queue, more than 10 in several batches, bodies the prober can parse', async () => {
    const eu = await sqs.createQueue('probes-eu', 'eu-west-1');
    const us = await sqs.createQueue('probes-us', 'us-east-1');
    const queue = new SqsProbeQueue((r) => sqs.client(r), { 'eu-west-1': eu, 'us-east-1': us });
    const messages = Array.from({ length: 23 }, (_, i) => ({ delaySeconds: 0, at: 1_000 + i, checks: [`svc${i}/api`, `svc${i}/db`] }));
    await queue.send('eu-west-1', messages);
    const bodies = await drain(eu, 'eu-west-1');
    expect(bodies).toHaveLength(23);
    const parsed = bodies.map(parseProbeMessage).sort((a, b) => a.at - b.at);
    expect(parsed[0]).toEqual({ v: 1, at: 1_000, checks: ['svc0/api', 'svc0/db'] });
    expect(parsed.map((m) => m.at)).toEqual(messages.map((m) => m.at));
    expect(await drain(us, 'us-east-1')).toEqual([]);
  });

  it('keeps each SendMessageBatch under SQS\'s 256 KiB: ten messages of long names go in several calls, none lost', async () => {
    const url = await sqs.createQueue('probes-big', 'eu-west-1');
    const calls: number[] = [];
    const real = sqs.client('eu-west-1');
    // The real client, counting the bytes of the bodies each call carries.
    const counting = { send: (cmd: { input: { Entries?: { MessageBody?: string }[] } }) => {
      calls.push((cmd.input.Entries ?? []).reduce((n, e) => n + Buffer.byteLength(e.MessageBody ?? ''), 0));
      return real.send(cmd as never);
    } } as unknown as typeof real;
    const queue = new SqsProbeQueue(() => counting, { 'eu-west-1': url });
    const long = 'x'.repeat(150);
    const plan = [{ delaySeconds: 0, checks: Array.from({ length: 3_500 }, (_, i) => `${long}${i}/check`) }];
    const messages = packMessages(plan, 5_000, 400);
    expect(messages.length).toBeGreaterThanOrEqual(9); // 400 names of ~160 B would be 64 KB: split by bytes
    expect(messages.every((m) => Buffer.byteLength(JSON.stringify({ v: 1, at: m.at, checks: m.checks })) <= MAX_MESSAGE_BYTES)).toBe(true);
    await queue.send('eu-west-1', messages);
    expect(calls.length).toBeGreaterThan(1);
    expect(Math.max(...calls)).toBeLessThanOrEqual(256 * 1024);
    const bodies = await drain(url, 'eu-west-1');
    expect(bodies.map(parseProbeMessage).flatMap((m) => m.checks).sort()).toEqual(plan[0]!.checks.slice().sort());
  });

  it('honours DelaySeconds: a delayed message is not visible at once', async () => {
    const url = await sqs.createQueue('probes-delay');
    const queue = new SqsProbeQueue((r) => sqs.client(r), { 'us-east-1': url });
    await queue.send('us-east-1', [{ delaySeconds: 30, at: 1, checks: ['a/b'] }, { delaySeconds: 0, at: 2, checks: ['c/d'] }]);
    expect((await drain(url, 'us-east-1')).map((b) => parseProbeMessage(b).checks)).toEqual([['c/d']]);
  });

  it('names the region when no queue is configured for it', async () => {
    const queue = new SqsProbeQueue((r) => sqs.client(r), {});
    await expect(queue.send('ap-southeast-2', [{ delaySeconds: 0, at: 1, checks: ['a/b'] }])).rejects.toThrow('no probe queue configured for region ap-southeast-2');
  });
});

describe('parseProbeMessage', () => {
  it('rejects malformed bodies with the expected shape in the message', () => {
    expect(() => parseProbeMessage('nope')).toThrow(/not JSON/);
    expect(() => parseProbeMessage('{"v":2,"at":1,"checks":[]}')).toThrow('probe message must be {"v":1,"at":<epoch ms>,"checks":["service/check", ...]}');
    expect(() => parseProbeMessage('{"v":1,"at":1,"checks":[3]}')).toThrow(/must be/);
  });
});
