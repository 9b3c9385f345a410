/** Every minute (EventBridge): the engine's tick — this minute's rounds to each prober region, heartbeats, digests, effect retries. */
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { ScheduledEvent } from 'aws-lambda';
import { awsRuntime } from '../shared/adapters/aws/runtime.ts';

// The environment as this container started (the composition root reads it once).
const env = { ...process.env };
const logger = new Logger();
const metrics = new Metrics();

export const handler = middy(async (event: ScheduledEvent) => {
  const rt = await awsRuntime(env);
  if (!rt.queue) throw new Error('the scheduler needs PAGERLESS_QUEUE_URLS');
  const minuteStart = Math.floor(Date.parse(event.time) / 60_000) * 60_000;
  await rt.engine.executor.recover(); // effects a crashed or timed-out invocation left claimed
  const tick = await rt.engine.tick(minuteStart, minuteStart - 60_000, rt.queue);
  // Stream batches the evaluator gave up on, applied again from the Results items they carried.
  const replayed = rt.replay ? await rt.replay().catch((err: Error) => {
    logger.error('could not read the evaluator\'s dead-letter queue', { error: err.message });
    return undefined;
  }) : undefined;
  if (replayed?.replayed) metrics.addMetric('BatchesReplayed', MetricUnit.Count, replayed.replayed);
  const settled = await rt.engine.drain(); // due effects, retries included, before the invocation ends
  // Not thrown: EventBridge would retry the whole minute and the healthy regions would probe twice.
  if (tick.failedRegions.length) {
    logger.error('could not send probe batches', { regions: tick.failedRegions });
    metrics.addMetric('ProbeQueueFailures', MetricUnit.Count, tick.failedRegions.length);
  }
  const problem = rt.engine.problem();
  if (problem) logger.error('engine problem', { problem });
  metrics.addMetric('RoundsScheduled', MetricUnit.Count, tick.rounds);
  logger.info('minute scheduled', { minute: new Date(minuteStart).toISOString(), ...tick, effectsSettled: settled, ...(replayed ? { replayed } : {}) });
  return tick;
})
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
