/** DynamoDB Streams (Results table): apply each batch's results to the incident engine; run the effects. */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { decodeResultsRecord } from '../shared/adapters/aws/dynamo-store.ts';
import { awsRuntime } from '../shared/adapters/aws/runtime.ts';
import { regionMetrics, serviceHealthLine, serviceMetrics } from '../shared/engine/metrics.ts';

// The environment as this container started (the composition root reads it once).
const env = { ...process.env };
const logger = new Logger();
const metrics = new Metrics();
const processor = new BatchProcessor(EventType.DynamoDBStreams);
/** Left for sends still running when claims stop: a send's timeout (10 s) and a margin. */
const DRAIN_RESERVE_MS = 15_000;

export const handler = middy(async (event: DynamoDBStreamEvent, context: Context) => {
  const rt = await awsRuntime(env);
  await rt.stateCache.validate(); // drop cached states if another container committed a transition
  let effects = 0;
  const response = await processPartialResponse(event, async (record: DynamoDBRecord) => {
    const results = decodeResultsRecord(record);
    if (results.length === 0) return;
    // A store that refuses fails the record: the stream delivers it again (never lost; applied ones are duplicates).
    const out = await rt.engine.evaluate(results, { onStoreError: 'throw' });
    effects += out.effects;
    metrics.addMetric('ResultsEvaluated', MetricUnit.Count, out.evaluated);
    if (out.opened.length) metrics.addMetric('IncidentsOpened', MetricUnit.Count, out.opened.length);
    if (out.opened.length || out.resolved.length) logger.info('incidents changed', { opened: out.opened, resolved: out.resolved });
    // Metrics per region only ($0.30 each a month); per service, a log line for the dashboard's
    // Logs Insights widgets, which cost nothing until someone looks (see shared/engine/metrics.ts).
    for (const m of regionMetrics(results)) {
      // A single metric is published as soon as its value is added: one per value.
      for (const [name, unit, value] of [['Availability', MetricUnit.Percent, m.availability], ['Latency', MetricUnit.Milliseconds, m.latencyMs]] as const) {
        const single = metrics.singleMetric();
        single.addDimension('region', m.region);
        single.addMetric(name, unit, value);
      }
    }
    for (const m of serviceMetrics(rt.config, results)) process.stdout.write(serviceHealthLine(m));
  }, processor, { context, processInParallel: false }); // in stream order: a check's results must apply in order
  // Effects run once the whole batch is evaluated, never inside a record: a slow receiver cannot
  // time the evaluation out (and have the batch delivered again). Claims stop in time for the sends
  // still running to end (each within its timeout) before the function's; what is left is sent by
  // the next batch or the scheduler's minute.
  if (effects > 0) await rt.engine.drain({ claimUntil: Date.now() + Math.max(0, context.getRemainingTimeInMillis() - DRAIN_RESERVE_MS) });
  return response;
})
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
