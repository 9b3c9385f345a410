/** Every minute (EventBridge): send each prober region this minute's batches; evaluate heartbeats; retry due notifications. */
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { ScheduledEvent } from 'aws-lambda';
import { awsRuntime } from '../shared/adapters/aws/runtime.ts';
import { scheduleMinute } from '../shared/engine/pipeline.ts';

// The environment as this container started (the composition root reads it once).
const env = { ...process.env };
const logger = new Logger();
const metrics = new Metrics();

export const handler = middy(async (event: ScheduledEvent) => {
  const rt = await awsRuntime(env);
  if (!rt.queue) throw new Error('the scheduler needs PAGERLESS_QUEUE_URLS');
  const minuteStart = Math.floor(Date.parse(event.time) / 60_000) * 60_000;
  const sent = await scheduleMinute({ config: rt.config, queue: rt.queue, store: rt.store, clock: rt.clock }, minuteStart);
  await rt.executor.recover(); // effects a crashed or timed-out invocation left claimed
  const retried = await rt.executor.drain();
  // Not thrown: EventBridge would retry the whole minute and the healthy regions would probe twice.
  if (sent.failedRegions.length) {
    logger.error('could not send probe batches', { regions: sent.failedRegions });
    metrics.addMetric('ProbeQueueFailures', MetricUnit.Count, sent.failedRegions.length);
  }
  metrics.addMetric('RoundsScheduled', MetricUnit.Count, sent.rounds);
  logger.info('minute scheduled', { minute: new Date(minuteStart).toISOString(), ...sent, effectsRetried: retried });
  return sent;
})
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
