/**
 * Stream batches the evaluator could not apply, applied again. When every retry of a batch failed,
 * Lambda sends the event source mapping's on-failure queue only the batch's coordinates (shard,
 * sequence numbers, arrival times), and the stream itself forgets records after 24 hours. The
 * Results items those records were made of stay in the table for the retention, so a failure is
 * replayed from them: the items written between the batch's first and last arrival (with a margin)
 * are evaluated again. That is safe to over-read: a result the state already holds, or one older
 * than what it holds, changes nothing.
 */
import { DeleteMessageCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Logger } from '../../ports.ts';
import type { Engine } from '../../engine/engine.ts';
import type { ProbeResult } from '../../types.ts';

/** What the on-failure destination receives for a DynamoDB stream batch (the parts used here). */
export interface StreamBatchFailure {
  shardId: string;
  /** Epoch ms. */
  firstArrival: number;
  lastArrival: number;
  batchSize: number;
}

/** Arrival times are rounded to the second and the write stamp precedes the arrival: read a little wider. */
const MARGIN_MS = 60_000;

/** The failure a message body describes, or undefined when it is not a stream batch failure. */
export function parseStreamBatchFailure(body: string): StreamBatchFailure | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  const info = (parsed as { DDBStreamBatchInfo?: Record<string, unknown> } | null)?.DDBStreamBatchInfo;
  if (!info) return undefined;
  const first = Date.parse(String(info.approximateArrivalOfFirstRecord));
  const last = Date.parse(String(info.approximateArrivalOfLastRecord));
  if (!Number.isFinite(first) || !Number.isFinite(last)) return undefined;
  return { shardId: String(info.shardId ?? ''), firstArrival: first, lastArrival: last, batchSize: Number(info.batchSize ?? 0) };
}

export interface ReplayDeps {
  sqs: SQSClient;
  queueUrl: string;
  store: { resultsWrittenBetween(from: number, to: number): Promise<ProbeResult[]> };
  engine: Engine;
  log: Logger;
}

/**
 * Take up to `max` failures from the queue and apply their results again; each message is deleted
 * once its results are applied. A message that cannot be read, or whose replay fails, stays: the
 * queue's alarm keeps saying so, and the next run tries again.
 */
export async function replayFailedBatches(deps: ReplayDeps, max = 10): Promise<{ replayed: number; results: number; left: number }> {
  const out = await deps.sqs.send(new ReceiveMessageCommand({ QueueUrl: deps.queueUrl, MaxNumberOfMessages: Math.min(10, max), WaitTimeSeconds: 0, VisibilityTimeout: 120 }));
  let replayed = 0;
  let results = 0;
  let left = 0;
  for (const m of out.Messages ?? []) {
    const failure = parseStreamBatchFailure(m.Body ?? '');
    if (!failure) {
      left++;
      deps.log.error('a message in the evaluator\'s dead-letter queue is not a stream batch failure; left in the queue', { messageId: m.MessageId });
      continue;
    }
    try {
      const found = await deps.store.resultsWrittenBetween(failure.firstArrival - MARGIN_MS, failure.lastArrival + MARGIN_MS);
      await deps.engine.evaluate(found, { onStoreError: 'throw' });
      await deps.sqs.send(new DeleteMessageCommand({ QueueUrl: deps.queueUrl, ReceiptHandle: m.ReceiptHandle! }));
      replayed++;
      results += found.length;
      deps.log.info('replayed a stream batch the evaluator could not apply', { shard: failure.shardId, records: failure.batchSize, results: found.length, from: new Date(failure.firstArrival).toISOString() });
    } catch (err) {
      left++;
      deps.log.error('could not replay a failed stream batch; it stays in the dead-letter queue', { error: (err as Error).message, messageId: m.MessageId });
    }
  }
  return { replayed, results, left };
}
