/**
 * One CloudWatch dashboard: the pipeline's health, then availability and latency by region
 * (metrics) and by service and region (Logs Insights over the evaluator's `service health` lines,
 * which cost nothing until someone looks). Never one metric per endpoint.
 */
import { Duration } from 'aws-cdk-lib';
import { Dashboard, GraphWidget, LogQueryVisualizationType, LogQueryWidget, Metric, TextWidget, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ILogGroup } from 'aws-cdk-lib/aws-logs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { ResourceNames } from '../shared/adapters/aws/tables.ts';
import { SERVICE_HEALTH } from '../shared/engine/metrics.ts';
import { availabilityMetric, incidentsOpenedMetric, latencyMetric, resultsEvaluatedMetric, roundsScheduledMetric } from './metrics.ts';

export interface PagerlessDashboardProps {
  /** The home region's functions, by name. */
  readonly functions: { readonly scheduler: IFunction; readonly evaluator: IFunction; readonly ingest: IFunction; readonly status: IFunction };
  readonly evaluatorLogGroup: ILogGroup;
  readonly evaluatorDeadLetters: IQueue;
  /** Prober regions (their queues and functions are read by fixed name, across regions). */
  readonly regions: readonly string[];
  /** The deployment's names: the dashboard's, the probers', the metrics'. */
  readonly names: ResourceNames;
}

const MINUTE = Duration.minutes(1);

function sqsMetric(queueName: string, metricName: string, region: string, statistic: string): Metric {
  return new Metric({ namespace: 'AWS/SQS', metricName, dimensionsMap: { QueueName: queueName }, statistic, period: MINUTE, region, label: `${queueName} (${region})` });
}

function lambdaMetric(functionName: string, metricName: string, region: string, label: string): Metric {
  return new Metric({ namespace: 'AWS/Lambda', metricName, dimensionsMap: { FunctionName: functionName }, statistic: 'Sum', period: MINUTE, region, label });
}

export class PagerlessDashboard extends Construct {
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: PagerlessDashboardProps) {
    super(scope, id);
    const { functions: f, names } = props;
    const graph = (title: string, left: IMetric[], width = 8, leftLabel?: string) =>
      new GraphWidget({ title, left, width, height: 6, leftYAxis: leftLabel ? { label: leftLabel, showUnits: false } : undefined });

    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: names.dashboard,
      defaultInterval: Duration.hours(3),
    });
    this.dashboard.addWidgets(new TextWidget({
      markdown: `# Pagerless: ${names.deployment}\nPipeline health first (the alarms watch these), then availability and latency by region and by service.`,
      width: 24,
      height: 2,
    }));
    this.dashboard.addWidgets(
      graph('Pipeline throughput (per minute)', [
        roundsScheduledMetric(names, { label: 'rounds scheduled' }),
        resultsEvaluatedMetric(names, { label: 'results evaluated' }),
        incidentsOpenedMetric(names, { label: 'incidents opened' }),
      ]),
      graph('Function errors', [
        f.scheduler.metricErrors({ period: MINUTE, label: 'scheduler' }),
        f.evaluator.metricErrors({ period: MINUTE, label: 'evaluator' }),
        f.ingest.metricErrors({ period: MINUTE, label: 'ingest' }),
        f.status.metricErrors({ period: MINUTE, label: 'status' }),
      ]),
      graph('Evaluator iterator age', [f.evaluator.metric('IteratorAge', { statistic: 'Maximum', period: MINUTE, label: 'iterator age (max)' })], 8, 'ms'),
    );
    this.dashboard.addWidgets(
      graph('Prober errors by region', props.regions.map((r) => lambdaMetric(names.proberFunction, 'Errors', r, `errors (${r})`)), 12),
      graph('Prober throttles by region', props.regions.map((r) => lambdaMetric(names.proberFunction, 'Throttles', r, `throttles (${r})`)), 12),
    );
    this.dashboard.addWidgets(
      graph('Dead-letter queues (should be 0)', [
        props.evaluatorDeadLetters.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: MINUTE, label: 'evaluator DLQ' }),
        ...props.regions.map((r) => sqsMetric(names.probeDeadLetterQueue, 'ApproximateNumberOfMessagesVisible', r, 'Maximum')),
      ], 12),
      graph('Probe queue: age of oldest message', props.regions.map((r) => sqsMetric(names.probeQueue, 'ApproximateAgeOfOldestMessage', r, 'Maximum')), 12, 'seconds'),
    );
    this.dashboard.addWidgets(
      graph('Availability by prober region', props.regions.map((r) => availabilityMetric(names, r, { label: r })), 12, '%'),
      graph('Latency by prober region', props.regions.map((r) => latencyMetric(names, r, { label: r })), 12, 'ms'),
    );
    this.dashboard.addWidgets(new LogQueryWidget({
      title: 'Availability and latency by service and region (worst first)',
      logGroupNames: [props.evaluatorLogGroup.logGroupName],
      view: LogQueryVisualizationType.TABLE,
      queryLines: [
        `filter m = "${SERVICE_HEALTH}"`,
        'stats avg(availability) as availability_pct, avg(latencyMs) as latency_ms, sum(count) as results by service, region',
        'sort availability_pct asc',
        'limit 200',
      ],
      width: 24,
      height: 8,
    }));
  }
}
