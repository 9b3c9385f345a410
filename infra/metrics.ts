/**
 * The metrics the functions emit in Embedded Metric Format (Powertools: namespace
 * RESOURCE_NAMES.metricsNamespace, dimension `service` = POWERTOOLS_SERVICE_NAME). Per region at
 * most, never per endpoint; per monitored service the evaluator logs a line instead (metrics.ts).
 */
import { Duration } from 'aws-cdk-lib';
import { Metric, type MetricOptions } from 'aws-cdk-lib/aws-cloudwatch';
import { RESOURCE_NAMES } from '../shared/adapters/aws/tables.ts';

/** The Powertools `service` dimension of every metric the functions emit (POWERTOOLS_SERVICE_NAME). */
export const METRICS_SERVICE = 'pagerless';

/** A Pagerless metric, per minute unless `options` say otherwise. */
export function pagerlessMetric(metricName: string, statistic: string, dimensions: Record<string, string> = {}, options: MetricOptions = {}): Metric {
  return new Metric({
    namespace: RESOURCE_NAMES.metricsNamespace,
    metricName,
    statistic,
    period: Duration.minutes(1),
    ...options,
    dimensionsMap: { service: METRICS_SERVICE, ...dimensions, ...options.dimensionsMap },
  });
}

/** Results the evaluator applied (Sum). The "no results" alarm watches it. */
export const resultsEvaluatedMetric = (options?: MetricOptions) => pagerlessMetric('ResultsEvaluated', 'Sum', {}, options);
/** Probe rounds the scheduler sent (Sum). */
export const roundsScheduledMetric = (options?: MetricOptions) => pagerlessMetric('RoundsScheduled', 'Sum', {}, options);
/** Incidents opened (Sum). */
export const incidentsOpenedMetric = (options?: MetricOptions) => pagerlessMetric('IncidentsOpened', 'Sum', {}, options);
/** Percent of results from one prober region that passed (Average). */
export const availabilityMetric = (region: string, options?: MetricOptions) => pagerlessMetric('Availability', 'Average', { region }, options);
/** Mean probe latency from one prober region, ms (Average). */
export const latencyMetric = (region: string, options?: MetricOptions) => pagerlessMetric('Latency', 'Average', { region }, options);
