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
import { loadSynthConfig, withDeploymentName, type SynthConfig } from './config.ts';
import { PagerlessCore } from './core-stack.ts';
import { availabilityMetric, incidentsOpenedMetric, latencyMetric, resultsEvaluatedMetric } from './metrics.ts';
import { grantTableAccess } from './permissions.ts';
import { PagerlessProberStack } from './prober-stack.ts';
import { inheritedStackProps, inheritStackAspects } from './inherit.ts';

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
   * The deployment name: the prefix of every physical name (tables, queues, topics, the prober
   * function, alarms, the dashboard) and the `service` dimension of its metrics, so that two
   * deployments can share an account. Lower-case letters, digits and single hyphens, at most 32.
   * @default - settings.name of the config, which defaults to `pagerless`
   */
  readonly name?: string;
  /**
   * What happens to every stateful resource (both tables, the topics and their KMS keys, the
   * queues, the log groups) when the stack is deleted or an update replaces it, here and in the
   * prober stacks. The default keeps them, except after a failed first create (CloudFormation's
   * RetainExceptOnCreate), so a retried first deploy never meets its own leftovers.
   * @default RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE
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
  /** @default { rateLimit: 50, burstLimit: 100 } (each route: the stage's default route setting) */
  readonly apiThrottle?: ThrottleSettings;
  /**
   * Rate and burst of each route that checks no token (`GET /health`, `/ping/{token}[/fail]`).
   * @default - apiThrottle
   */
  readonly openRouteThrottle?: ThrottleSettings;
  /**
   * Most prober invocations per region at once (the SQS event source's maximum concurrency, 2–1000).
   * @default - no limit but the account's concurrency
   */
  readonly proberMaxConcurrency?: number;
  /**
   * X-Ray active tracing on every function.
   * @default false
   */
  readonly tracing?: boolean;
  /**
   * Subscribe this address to the ops topic of every region (the pipeline's own alarms).
   * @default - no subscription
   */
  readonly opsEmail?: string;
  /**
   * Id (and name) prefix of the prober stacks: `<prefix>-<region>`. They inherit this stack's
   * synthesizer (an equivalent one: same class and settings), permissions boundary, tags and the
   * aspects applied to this stack, and the removal policy above.
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
    this.config = withDeploymentName(loadSynthConfig(props.configFile, env), props.name);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE;
    const { home, regions } = this.config;
    const stack = Stack.of(this);
    if (Token.isUnresolved(stack.region)) {
      Annotations.of(this).addWarningV2('pagerless:home-region', `The stack has no region: deploy it to ${home} (settings.home), where the prober stacks expect the tables.`);
    } else if (stack.region !== home) {
      throw new Error(`Pagerless must be in a stack in the config's home region ${home} (settings.home); this stack is in ${stack.region}`);
    }

    this.core = new PagerlessCore(this, 'Core', {
      config: this.config,
      removalPolicy,
      topicKey: props.topicKey,
      logRetention: props.logRetention,
      memorySize: props.memorySize,
      apiThrottle: props.apiThrottle,
      openRouteThrottle: props.openRouteThrottle,
      tracing: props.tracing,
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
        ...inheritedStackProps(stack),
        config: this.config,
        region,
        env: { account: Token.isUnresolved(stack.account) ? undefined : stack.account },
        description: `Pagerless prober in ${region} (${this.config.names.deployment}, home: ${home})`,
        logRetention: props.logRetention,
        memorySize: props.memorySize,
        maxConcurrency: props.proberMaxConcurrency,
        tracing: props.tracing,
        opsEmail: props.opsEmail,
        removalPolicy,
      });
      inheritStackAspects(prober, stack);
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

  /** Results this deployment's evaluator applied, per minute (Sum). The "no results" alarm watches it. */
  metricResultsEvaluated(options?: MetricOptions): Metric {
    return resultsEvaluatedMetric(this.config.names, options);
  }

  /** Incidents opened, per minute (Sum). */
  metricIncidentsOpened(options?: MetricOptions): Metric {
    return incidentsOpenedMetric(this.config.names, options);
  }

  /** Percent of the results from a prober region that passed (Average, per minute). */
  metricAvailability(region: string, options?: MetricOptions): Metric {
    return availabilityMetric(this.config.names, region, options);
  }

  /** Mean probe latency from a prober region, ms (Average, per minute). */
  metricLatency(region: string, options?: MetricOptions): Metric {
    return latencyMetric(this.config.names, region, options);
  }
}
