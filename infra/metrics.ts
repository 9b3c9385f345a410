/**
 * The metrics the functions emit in Embedded Metric Format (Powertools: namespace
 * `metricsNamespace`, dimension `service` = POWERTOOLS_SERVICE_NAME = the deployment name, so two
 * deployments in one account never count each other's results). Per region at most, never per
 * endpoint; per monitored service the evaluator logs a line instead (metrics.ts).
 */
import { Duration } from 'aws-cdk-lib';
import { Metric, type MetricOptions } from 'aws-cdk-lib/aws-cloudwatch';
import type { ResourceNames } from '../shared/adapters/aws/tables.ts';

/** Where a deployment's metrics are: its namespace and its `service` dimension. */
export type MetricsOf = Pick<ResourceNames, 'metricsNamespace' | 'metricsService'>;

/** A Pagerless metric of one deployment, per minute unless `options` say otherwise. */
export function pagerlessMetric(of: MetricsOf, metricName: string, statistic: string, dimensions: Record<string, string> = {}, options: MetricOptions = {}): Metric {
  return new Metric({
    namespace: of.metricsNamespace,
    metricName,
    statistic,
    period: Duration.minutes(1),
    ...options,
    dimensionsMap: { service: of.metricsService, ...dimensions, ...options.dimensionsMap },
  });
}

/** Results the evaluator applied (Sum). The "no results" alarm watches it. */
export const resultsEvaluatedMetric = (of: MetricsOf, options?: MetricOptions) => pagerlessMetric(of, 'ResultsEvaluated', 'Sum', {}, options);
/** Probe rounds the scheduler sent (Sum). */
export const roundsScheduledMetric = (of: MetricsOf, options?: MetricOptions) => pagerlessMetric(of, 'RoundsScheduled', 'Sum', {}, options);
/** Regions whose probe batches the scheduler could not send this minute (Sum; emitted only when some failed). */
export const probeQueueFailuresMetric = (of: MetricsOf, options?: MetricOptions) => pagerlessMetric(of, 'ProbeQueueFailures', 'Sum', {}, options);
/** Incidents opened (Sum). */
export const incidentsOpenedMetric = (of: MetricsOf, options?: MetricOptions) => pagerlessMetric(of, 'IncidentsOpened', 'Sum', {}, options);
/** Percent of results from one prober region that passed (Average). */
export const availabilityMetric = (of: MetricsOf, region: string, options?: MetricOptions) => pagerlessMetric(of, 'Availability', 'Average', { region }, options);
/** Mean probe latency from one prober region, ms (Average). */
export const latencyMetric = (of: MetricsOf, region: string, options?: MetricOptions) => pagerlessMetric(of, 'Latency', 'Average', { region }, options);
