/** SQS (one queue per region): run each message's checks, a few at a time, and write ONE Results item per invocation. */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { baseRuntime } from '../shared/adapters/aws/runtime.ts';
import { parseProbeMessage } from '../shared/adapters/aws/probe-message.ts';
import { probeBatch } from '../shared/engine/pipeline.ts';
import { proberInFlight } from '../shared/engine/prober-sizing.ts';
import type { ProbeResult } from '../shared/types.ts';

// The environment as this container started (the composition root reads it once).
const env = { ...process.env };
const logger = new Logger();
const processor = new BatchProcessor(EventType.SQS);

export const handler = middy(async (event: SQSEvent, context: Context) => {
  const rt = await baseRuntime(env);
  const results: ProbeResult[] = [];
  const deadline = rt.clock.now() + context.getRemainingTimeInMillis() - 3_000;
  // Checks at a time, shared by the batch's messages: what the memory's CPU share handshakes without a queue.
  const perMessage = proberInFlight(env, event.Records.length);
  const response = await processPartialResponse(event, async (record: SQSRecord) => {
    const message = parseProbeMessage(record.body);
    const batch = await probeBatch({ config: rt.config, region: rt.region, clock: rt.clock }, message.checks, { deadline, concurrency: perMessage, round: message.at });
    if (batch.unknown.length) logger.warn('checks not in this config (deployed mid-minute?)', { unknown: batch.unknown });
    if (batch.skipped.length) logger.warn('out of time: checks left for their next round', { skipped: batch.skipped });
    results.push(...batch.results);
  }, processor, { context });
  // One item for the whole invocation: if it cannot be written, fail every record so SQS retries them.
  await rt.store.appendResults(results);
  logger.info('batch probed', { checks: results.length, failed: results.filter((r) => !r.ok).length });
  return response;
})
  .use(injectLambdaContext(logger));
