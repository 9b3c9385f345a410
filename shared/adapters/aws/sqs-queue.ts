/** The probe queues: SendMessageBatch (up to 10 messages and 256 KiB a call) to each region's SQS queue, with retries of failed entries. */
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { ProbeQueue } from '../../ports.ts';
import type { ProbeBatchMessage } from './tables.ts';

/** SQS takes at most 10 entries and 256 KiB of bodies in one SendMessageBatch. */
const MAX_BATCH_ENTRIES = 10;
const MAX_BATCH_BYTES = 256 * 1024;

export class SqsProbeQueue implements ProbeQueue {
  /**
   * @param clientFor the SQS client of a region (queues live in their prober's region)
   * @param urls queue URL per prober region
   */
  constructor(
    private readonly clientFor: (region: string) => SQSClient,
    private readonly urls: Record<string, string>,
    private readonly maxAttempts = 3,
  ) {}

  async send(region: string, messages: { delaySeconds: number; at: number; checks: string[] }[]): Promise<void> {
    const url = this.urls[region];
    if (!url) throw new Error(`no probe queue configured for region ${region} (have: ${Object.keys(this.urls).join(', ') || 'none'})`);
    const client = this.clientFor(region);
    const entries = messages.map((m, i) => ({
      Id: String(i),
      MessageBody: JSON.stringify({ v: 1, at: m.at, checks: m.checks } satisfies ProbeBatchMessage),
      DelaySeconds: Math.min(Math.max(0, Math.floor(m.delaySeconds)), 900),
    }));
    // Calls within SQS's limits (each body is under MAX_MESSAGE_BYTES, so one always fits).
    const calls: (typeof entries)[] = [];
    let bytes = 0;
    for (const e of entries) {
      const b = Buffer.byteLength(e.MessageBody);
      const last = calls.at(-1);
      if (!last || last.length >= MAX_BATCH_ENTRIES || bytes + b > MAX_BATCH_BYTES) {
        calls.push([e]);
        bytes = b;
      } else {
        last.push(e);
        bytes += b;
      }
    }
    for (const call of calls) {
      let pending = call;
      for (let attempt = 1; pending.length > 0; attempt++) {
        const out = await client.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: pending }));
        const failed = new Set((out.Failed ?? []).map((f) => f.Id));
        const senderFault = (out.Failed ?? []).find((f) => f.SenderFault);
        if (senderFault) throw new Error(`SQS rejected a probe message for ${region}: ${senderFault.Code}: ${senderFault.Message}`);
        pending = pending.filter((e) => failed.has(e.Id));
        if (pending.length > 0 && attempt >= this.maxAttempts) {
          throw new Error(`${pending.length} probe message(s) for ${region} could not be sent after ${attempt} attempts`);
        }
      }
    }
  }
}

export { parseProbeMessage } from './probe-message.ts';
