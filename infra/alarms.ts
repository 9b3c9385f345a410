/**
 * Alarms on the pipeline's own health (CONVENTIONS 10): data keyed by severity, never one per
 * endpoint. A plan is built from the resources; `createAlarms` turns it into CloudWatch alarms
 * that notify the ops topic.
 */
import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, MathExpression, TreatMissingData, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { Severity } from '../shared/types.ts';
import type { ResourceNames } from '../shared/adapters/aws/tables.ts';
import { availabilityMetric, probeQueueFailuresMetric, resultsEvaluatedMetric, type MetricsOf } from './metrics.ts';

/** One alarm, as data. */
export interface PipelineAlarm {
  /** Short kebab-case id; the alarm is named `<deployment>-<severity>-<id>`. */
  readonly id: string;
  /** What it means and what to look at, in the alarm description. */
  readonly summary: string;
  readonly metric: IMetric;
  readonly threshold: number;
  readonly comparisonOperator: ComparisonOperator;
  readonly evaluationPeriods: number;
  /** @default evaluationPeriods */
  readonly datapointsToAlarm?: number;
  readonly treatMissingData: TreatMissingData;
}

/** Alarms by severity. `critical` and `warning` notify the ops topic; `info` only shows on the dashboard. */
export type AlarmPlan = { readonly [S in Severity]?: readonly PipelineAlarm[] };

/** Severities whose alarms notify the ops topic. */
export const NOTIFYING_SEVERITIES: readonly Severity[] = ['critical', 'warning'];

/** A queue that should stay empty: alarm on the first visible message. */
export function deadLetterAlarm(id: string, queue: IQueue, what: string): PipelineAlarm {
  return {
    id,
    summary: `${what} has messages: they failed every retry. Read them, fix the cause, then redrive or purge the queue.`,
    metric: queue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: Duration.minutes(1) }),
    threshold: 1,
    comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    evaluationPeriods: 1,
    treatMissingData: TreatMissingData.NOT_BREACHING,
  };
}

/** Invocations that threw (records reported as partial batch failures do not count). */
export function functionErrorsAlarm(id: string, fn: IFunction, what: string, datapoints = 3): PipelineAlarm {
  return {
    id,
    summary: `The ${what} function failed in ${datapoints} of the last 5 minutes. Its log group has the errors.`,
    metric: fn.metricErrors({ statistic: 'Sum', period: Duration.minutes(1) }),
    threshold: 1,
    comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    evaluationPeriods: 5,
    datapointsToAlarm: datapoints,
    treatMissingData: TreatMissingData.NOT_BREACHING,
  };
}

export interface CoreAlarmTargets {
  readonly scheduler: IFunction;
  readonly evaluator: IFunction;
  readonly ingest: IFunction;
  readonly status: IFunction;
  readonly evaluatorDeadLetters: IQueue;
  /** False when every check is pushed (webhooks): results then arrive only when someone pushes. */
  readonly expectsSteadyResults: boolean;
  /** Minutes without results before the no-results alarm (quietWindowMinutes). */
  readonly quietMinutes: number;
  /** This deployment's metrics (the no-results alarm must not count another deployment's results). */
  readonly metrics: MetricsOf;
  /**
   * The prober regions, when checks are probed from them (empty when none is): with two or more,
   * each gets an alarm for falling silent while the others report.
   * @default - none
   */
  readonly probedRegions?: readonly string[];
  /** Minutes a prober region may stay silent (probeWindowMinutes). @default quietMinutes */
  readonly probeWindowMinutes?: number;
}

/**
 * One region silent while the others report: 1 in a window where `region` sent no result and some
 * other region did, else 0. Missing data counts as 0 (FILL), so a fresh deploy (nobody reported
 * yet) and a full stop (the no-results alarm's case) never breach.
 */
export function regionSilentExpression(of: MetricsOf, region: string, regions: readonly string[], minutes: number): MathExpression {
  const period = Duration.minutes(minutes);
  // SampleCount of Availability: one sample per stream record the evaluator applied from that region.
  const reported = (r: string) => availabilityMetric(of, r, { statistic: 'SampleCount', period });
  const others = regions.filter((r) => r !== region);
  const usingMetrics: Record<string, IMetric> = { mine: reported(region) };
  others.forEach((r, i) => { usingMetrics[`other${i}`] = reported(r); });
  const othersSum = others.map((_, i) => `FILL(other${i}, 0)`).join(' + ');
  return new MathExpression({
    expression: `IF((${othersSum}) > 0 AND FILL(mine, 0) == 0, 1, 0)`,
    usingMetrics,
    period,
    label: `${region} silent while other regions report`,
  });
}

/** The home region's alarms. */
export function coreAlarmPlan(t: CoreAlarmTargets): AlarmPlan {
  const critical: PipelineAlarm[] = [
    {
      // The scheduler replays these every minute (shared/adapters/aws/replay.ts): a message that
      // stays 5 minutes is one the replay cannot apply either.
      id: 'evaluator-dlq',
      summary: 'Stream batches the evaluator could not apply are still unapplied after 5 minutes of the scheduler\'s replays (every minute). The scheduler\'s log says why ("could not replay a failed stream batch"); fix the cause and the next minute replays them. Purge the queue only for batches you accept to lose.',
      metric: t.evaluatorDeadLetters.metricApproximateAgeOfOldestMessage({ statistic: 'Maximum', period: Duration.minutes(1) }),
      threshold: 300,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    },
    {
      id: 'evaluator-iterator-age',
      summary: 'The evaluator is more than 5 minutes behind the Results stream: incidents open late. Look for throttling or errors in the evaluator.',
      metric: t.evaluator.metric('IteratorAge', { statistic: 'Maximum', period: Duration.minutes(1) }),
      threshold: Duration.minutes(5).toMilliseconds(),
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    },
    functionErrorsAlarm('scheduler-errors', t.scheduler, 'scheduler'),
    {
      id: 'probe-queue-failures',
      summary: 'The scheduler could not send probe batches to a region\'s queue in 2 of the last 3 minutes: those checks did not run there. The scheduler\'s log ("could not send probe batches") names the regions; look at the queue, its policy and SQS health in that region.',
      // Emitted only when a send fails: no data is the healthy case.
      metric: probeQueueFailuresMetric(t.metrics),
      threshold: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    },
  ];
  if (t.expectsSteadyResults) {
    critical.unshift({
      id: 'no-results',
      summary: `No results were evaluated for ${t.quietMinutes} minutes: checks are not running (scheduler, probers or the stream). /health says "Checks not running" too.`,
      metric: resultsEvaluatedMetric(t.metrics, { period: Duration.minutes(t.quietMinutes) }),
      threshold: 1,
      comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: 1,
      // No data is the failure this alarm exists for.
      treatMissingData: TreatMissingData.BREACHING,
    });
  }
  const regions = t.probedRegions ?? [];
  const windowMinutes = t.probeWindowMinutes ?? t.quietMinutes;
  const silent: PipelineAlarm[] = regions.length < 2 ? [] : regions.map((region) => ({
    id: `region-silent-${region}`,
    summary: `No results came from ${region} for ${windowMinutes} minutes while other regions reported: that region's checks are not running (its probe-age, prober-errors and probe-dlq alarms, in ${region}, say where). Incidents still open from the other regions, with a smaller quorum.`,
    metric: regionSilentExpression(t.metrics, region, regions, windowMinutes),
    threshold: 1,
    comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    evaluationPeriods: 1,
    // The expression is 0 whenever nobody reported; missing means no data at all (a fresh deploy).
    treatMissingData: TreatMissingData.NOT_BREACHING,
  }));
  return {
    critical,
    warning: [
      ...silent,
      functionErrorsAlarm('evaluator-errors', t.evaluator, 'evaluator'),
      functionErrorsAlarm('ingest-errors', t.ingest, 'ingest (pings and hooks)'),
      functionErrorsAlarm('status-errors', t.status, 'status (status, health and api)'),
    ],
  };
}

/**
 * Age of the oldest probe batch above which probes run late. Batches are sent with DelaySeconds up
 * to 50 and a prober takes at most its 60 s timeout; 3 minutes is a backlog, not a slow batch.
 */
export const PROBE_AGE_LIMIT = Duration.minutes(3);

/** One prober region's alarms (alarms cannot watch metrics of another region). */
export function proberAlarmPlan(t: { region: string; prober: IFunction; queue: IQueue; deadLetters: IQueue }): AlarmPlan {
  return {
    critical: [
      deadLetterAlarm(`probe-dlq-${t.region}`, t.deadLetters, `The probe dead-letter queue in ${t.region} (probe batches that failed every retry)`),
      {
        id: `probe-age-${t.region}`,
        summary: `The oldest probe batch in ${t.region} waited more than ${PROBE_AGE_LIMIT.toMinutes()} minutes in 2 of the last 3: probes run late (the prober cannot keep up, is throttled, or fails and retries). Look at the prober's throttles, errors, concurrency and duration in ${t.region}.`,
        metric: t.queue.metricApproximateAgeOfOldestMessage({ statistic: 'Maximum', period: Duration.minutes(1) }),
        threshold: PROBE_AGE_LIMIT.toSeconds(),
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 3,
        datapointsToAlarm: 2,
        // An idle queue stops reporting: that is not a backlog.
        treatMissingData: TreatMissingData.NOT_BREACHING,
      },
    ],
    warning: [
      functionErrorsAlarm(`prober-errors-${t.region}`, t.prober, `prober in ${t.region}`),
      {
        id: `prober-throttles-${t.region}`,
        summary: `The prober in ${t.region} was throttled in 3 of the last 5 minutes: batches wait (then probe-age fires). Raise the account's concurrency quota in ${t.region}, or lower the other functions' use of it.`,
        metric: t.prober.metricThrottles({ statistic: 'Sum', period: Duration.minutes(1) }),
        threshold: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 5,
        datapointsToAlarm: 3,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      },
    ],
  };
}

/** CloudWatch alarms for a plan; critical and warning ones notify `topic`. */
export class PipelineAlarms extends Construct {
  /** The alarms by severity, in plan order. */
  readonly alarms: { readonly [S in Severity]?: readonly Alarm[] };

  constructor(scope: Construct, id: string, props: { readonly plan: AlarmPlan; readonly topic: ITopic; readonly names: Pick<ResourceNames, 'alarm'> }) {
    super(scope, id);
    const action = new SnsAction(props.topic);
    const out: { [S in Severity]?: Alarm[] } = {};
    for (const [severity, specs] of Object.entries(props.plan) as [Severity, readonly PipelineAlarm[]][]) {
      out[severity] = specs.map((spec) => {
        const alarm = new Alarm(this, `${severity}-${spec.id}`, {
          alarmName: props.names.alarm(severity, spec.id),
          alarmDescription: `[${severity}] ${spec.summary}`,
          metric: spec.metric,
          threshold: spec.threshold,
          comparisonOperator: spec.comparisonOperator,
          evaluationPeriods: spec.evaluationPeriods,
          datapointsToAlarm: spec.datapointsToAlarm,
          treatMissingData: spec.treatMissingData,
        });
        if (NOTIFYING_SEVERITIES.includes(severity)) {
          alarm.addAlarmAction(action);
          alarm.addOkAction(action);
        }
        return alarm;
      });
    }
    this.alarms = out;
  }
}
