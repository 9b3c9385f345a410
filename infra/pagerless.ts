/**
 * The Pagerless construct: everything `cdk deploy` creates, from one monitors.yaml (core resources
 * in this stack, one prober stack per prober region beside it).
 */
import { Annotations, CfnOutput, RemovalPolicy, Stack, Stage, Token } from 'aws-cdk-lib';
import type { IHttpApi, ThrottleSettings } from 'aws-cdk-lib/aws-apigatewayv2';
import type { Metric, MetricOptions } from 'aws-cdk-lib/aws-cloudwatch';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { Grant, IGrantable } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { STATE_TABLE } from '../shared/adapters/aws/tables.ts';
import type { Env } from '../shared/config/load.ts';
import { loadSynthConfig, type SynthConfig } from './config.ts';
import { PagerlessCore } from './core-stack.ts';
import { availabilityMetric, incidentsOpenedMetric, latencyMetric, resultsEvaluatedMetric } from './metrics.ts';
import { grantTableAccess } from './permissions.ts';
import { PagerlessProberStack } from './prober-stack.ts';

export interface PagerlessProps {
  /**
   * Path of monitors.yaml. It is validated here, as `pagerless validate` does (a bad file throws
   * ConfigError with the same message), compiled, and bundled into every function as `monitors.json`.
   */
  readonly configFile: string;
  /**
   * Values for the config's `${env:NAME}` references, resolved at synth into the compiled config
   * the functions load (so they travel in the function packages: use `${ssm:}` or `${secret:}`
   * for secrets, which are resolved at cold start and appear nowhere).
   * @default process.env
   */
  readonly environment?: Env;
  /**
   * What happens to the tables and the topic key when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Key of the home region's alert and ops topics; its policy must allow cloudwatch.amazonaws.com.
   * @default - a new customer managed key with rotation
   */
  readonly topicKey?: IKey;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
  /**
   * Memory of every function, MB.
   * @default 256
   */
  readonly memorySize?: number;
  /** @default { rateLimit: 50, burstLimit: 100 } */
  readonly apiThrottle?: ThrottleSettings;
  /**
   * Subscribe this address to the ops topic of every region (the pipeline's own alarms).
   * @default - no subscription
   */
  readonly opsEmail?: string;
  /**
   * Id (and name) prefix of the prober stacks: `<prefix>-<region>`.
   * @default `<this stack's id>-Prober`
   */
  readonly proberStackPrefix?: string;
}

/**
 * Pagerless from one monitors.yaml. Put it in a stack in the config's home region; it adds one
 * prober stack per prober region next to that stack (same app or stage).
 *
 * @example
 * const app = new App();
 * const home = new Stack(app, 'Monitoring', { env: { region: 'us-east-1' } });
 * const monitor = new Pagerless(home, 'Monitor', { configFile: 'monitors.yaml', opsEmail: 'ops@example.com' });
 * monitor.alertTopic.addSubscription(new EmailSubscription('oncall@example.com'));
 * new Alarm(home, 'FewResults', { metric: monitor.metricResultsEvaluated(), threshold: 10, evaluationPeriods: 3,
 *   comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD });
 */
export class Pagerless extends Construct {
  /** The validated config, as synth sees it. */
  readonly config: SynthConfig;
  readonly core: PagerlessCore;
  /** One stack per prober region, by region. */
  readonly probers: ReadonlyMap<string, PagerlessProberStack>;
  readonly resultsTable: ITable;
  readonly stateTable: ITable;
  /** Incident events (subscribe people, chat bots or queues to it). */
  readonly alertTopic: ITopic;
  /** The home region's pipeline alarms. */
  readonly opsTopic: ITopic;
  readonly api: IHttpApi;
  readonly apiUrl: string;
  readonly functions: { readonly scheduler: IFunction; readonly evaluator: IFunction; readonly ingest: IFunction; readonly status: IFunction };

  constructor(scope: Construct, id: string, props: PagerlessProps) {
    super(scope, id);
    const env = props.environment ?? process.env;
    this.config = loadSynthConfig(props.configFile, env);
    const { home, regions } = this.config;
    const stack = Stack.of(this);
    if (Token.isUnresolved(stack.region)) {
      Annotations.of(this).addWarningV2('pagerless:home-region', `The stack has no region: deploy it to ${home} (settings.home), where the prober stacks expect the tables.`);
    } else if (stack.region !== home) {
      throw new Error(`Pagerless must be in a stack in the config's home region ${home} (settings.home); this stack is in ${stack.region}`);
    }

    this.core = new PagerlessCore(this, 'Core', {
      config: this.config,
      removalPolicy: props.removalPolicy,
      topicKey: props.topicKey,
      logRetention: props.logRetention,
      memorySize: props.memorySize,
      apiThrottle: props.apiThrottle,
      opsEmail: props.opsEmail,
    });
    this.resultsTable = this.core.resultsTable;
    this.stateTable = this.core.stateTable;
    this.alertTopic = this.core.alertTopic;
    this.opsTopic = this.core.opsTopic;
    this.api = this.core.api;
    this.apiUrl = this.core.apiUrl;
    this.functions = { scheduler: this.core.scheduler, evaluator: this.core.evaluator, ingest: this.core.ingest, status: this.core.status };
    new CfnOutput(this, 'ApiUrl', { value: this.apiUrl, description: 'Pagerless HTTP API (/status, /health, /ping, /hooks, /api)' });

    const stage = Stage.of(stack);
    if (!stage) throw new Error('Pagerless needs its stack to be in an App or a Stage (it adds one stack per prober region)');
    const prefix = props.proberStackPrefix ?? `${stack.node.id}-Prober`;
    const probers = new Map<string, PagerlessProberStack>();
    for (const region of regions) {
      const prober = new PagerlessProberStack(stage, `${prefix}-${region}`, {
        config: this.config,
        region,
        env: { account: Token.isUnresolved(stack.account) ? undefined : stack.account },
        description: `Pagerless prober in ${region} (home: ${home})`,
        logRetention: props.logRetention,
        memorySize: props.memorySize,
        opsEmail: props.opsEmail,
      });
      // Deploy the home stack first: the prober writes to its Results table (by name).
      prober.addStackDependency(stack, 'the prober writes to the home region\'s Results table');
      probers.set(region, prober);
    }
    this.probers = probers;
  }

  /** Read states, incidents and timelines (a report, a custom dashboard): item reads on the table and its `due` index. */
  grantReadState(grantee: IGrantable): Grant {
    return grantTableAccess(grantee, this.stateTable, 'read', [STATE_TABLE.dueIndex.name]);
  }

  /** Publish to the alert topic (it is KMS-encrypted: the grant includes the key). */
  grantPublishAlerts(grantee: IGrantable): Grant {
    return this.alertTopic.grantPublish(grantee);
  }

  /** Results the evaluator applied, per minute (Sum). The "no results" alarm watches it. */
  metricResultsEvaluated(options?: MetricOptions): Metric {
    return resultsEvaluatedMetric(options);
  }

  /** Incidents opened, per minute (Sum). */
  metricIncidentsOpened(options?: MetricOptions): Metric {
    return incidentsOpenedMetric(options);
  }

  /** Percent of the results from a prober region that passed (Average, per minute). */
  metricAvailability(region: string, options?: MetricOptions): Metric {
    return availabilityMetric(region, options);
  }

  /** Mean probe latency from a prober region, ms (Average, per minute). */
  metricLatency(region: string, options?: MetricOptions): Metric {
    return latencyMetric(region, options);
  }
}
