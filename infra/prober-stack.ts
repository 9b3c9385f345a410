/**
 * One prober region: the probe queue (with its dead-letter queue) and the prober function, which
 * runs each batch's checks and writes ONE item per invocation to the Results table in the home
 * region — the only table it may write.
 */
import { Annotations, Aspects, Duration, RemovalPolicy, Stack, type IAspect, type StackProps } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Subscription, Topic, type ITopic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Queue, QueueEncryption, type IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct, type IConstruct } from 'constructs';
import { ENV } from '../shared/adapters/aws/tables.ts';
import { PROBER_SIZING } from '../shared/engine/prober-sizing.ts';
import { PipelineAlarms, proberAlarmPlan } from './alarms.ts';
import { referencedSecrets, type SynthConfig } from './config.ts';
import { PagerlessFunction } from './function.ts';
import { acknowledgeFunction, acknowledgeNag } from './nag.ts';
import { keyWildcardFinding, opsTopicArn, resultsTableArn, secretStatements } from './permissions.ts';
import { encryptedTopic, topicKeyFor } from './storage.ts';

/** The prober's timeout; the queue's visibility timeout is 6 times it (Lambda's advice for SQS sources). */
export const PROBER_TIMEOUT = Duration.seconds(60);

export interface PagerlessProberProps {
  readonly config: SynthConfig;
  /** The region this prober runs in (its results are tagged with it). */
  readonly region: string;
  /** Where this region's alarms go (alarms can only notify a topic in their own region). */
  readonly opsTopic: ITopic;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
  /** @default PROBER_SIZING.memoryMb (shared/engine/prober-sizing.ts, priced by `pagerless cost`) */
  readonly memorySize?: number;
  /**
   * Probe batches in one invocation (each is one SQS message of PROBER_SIZING.checksPerMessage checks).
   * @default PROBER_SIZING.messagesPerInvocation
   */
  readonly batchSize?: number;
  /**
   * Of the queues and the log group.
   * @default RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Most prober invocations the queue's event source runs at once (SqsEventSource maxConcurrency,
   * 2 to 1000): leaves the account's concurrency to other functions; batches wait instead (the
   * probe-age alarm says when they wait too long).
   * @default - no limit but the account's concurrency
   */
  readonly maxConcurrency?: number;
  /** X-Ray active tracing. @default false */
  readonly tracing?: boolean;
}

export class PagerlessProber extends Construct {
  readonly queue: IQueue;
  readonly deadLetterQueue: IQueue;
  readonly prober: PagerlessFunction;
  readonly alarms: PipelineAlarms;

  constructor(scope: Construct, id: string, props: PagerlessProberProps) {
    super(scope, id);
    const { config, home, names } = props.config;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE;

    const dlq = new Queue(this, 'DeadLetters', {
      queueName: names.probeDeadLetterQueue,
      removalPolicy,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.deadLetterQueue = dlq;
    this.queue = new Queue(this, 'Queue', {
      queueName: names.probeQueue,
      removalPolicy,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(PROBER_TIMEOUT.toSeconds() * 6),
      // A probe batch is stale within minutes; keep it long enough to reach the DLQ after its retries.
      retentionPeriod: Duration.hours(1),
      deadLetterQueue: { queue: dlq, maxReceiveCount: 2 },
    });

    this.prober = new PagerlessFunction(this, 'Prober', {
      name: 'prober',
      functionName: names.proberFunction,
      home,
      metrics: names,
      removalPolicy,
      compiledJson: props.config.compiledJson,
      timeout: PROBER_TIMEOUT,
      tracing: props.tracing,
      memorySize: props.memorySize ?? PROBER_SIZING.memoryMb,
      logRetention: props.logRetention,
      description: `Pagerless: runs probe batches from ${props.region}`,
      environment: {
        [ENV.region]: props.region,
        [ENV.resultsTable]: names.resultsTable,
        // Named for the runtime's sake; the prober has no access to it.
        [ENV.stateTable]: names.stateTable,
      },
    });
    this.prober.addEventSource(new SqsEventSource(this.queue, {
      batchSize: props.batchSize ?? PROBER_SIZING.messagesPerInvocation,
      maxBatchingWindow: Duration.seconds(1),
      reportBatchItemFailures: true,
      maxConcurrency: props.maxConcurrency,
    }));
    this.prober.addToRolePolicy(new PolicyStatement({
      sid: 'WriteResultsOnly',
      actions: ['dynamodb:PutItem'],
      resources: [resultsTableArn(this, home, names)],
    }));
    // Only what its checks reference (the runtime's 'probe' scope): never a channel's or a token's secret.
    const refs = referencedSecrets(config, 'probe');
    for (const s of secretStatements(this, home, refs)) this.prober.addToRolePolicy(s);
    if (refs.ssm.length + refs.secrets.length > 0) {
      acknowledgeNag(this.prober.role!, keyWildcardFinding(home), 'A customer managed key of a SecureString parameter or a secret a check references cannot be known at synth: kms:Decrypt on the home region\'s keys is allowed only via SSM / Secrets Manager (kms:ViaService) and only with the encryption context of exactly those parameters and secrets.');
    }
    acknowledgeFunction(this.prober);

    this.alarms = new PipelineAlarms(this, 'Alarms', {
      topic: props.opsTopic,
      names,
      plan: proberAlarmPlan({ region: props.region, prober: this.prober, queue: this.queue, deadLetters: dlq }),
    });
  }
}

export interface PagerlessProberStackProps extends StackProps {
  readonly config: SynthConfig;
  /** The prober region; the stack is deployed there. */
  readonly region: string;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
  /** @default PROBER_SIZING.memoryMb */
  readonly memorySize?: number;
  /**
   * Subscribed to this region's ops topic (outside the home region; in it, the core's topic is
   * used). Without one, and with no other subscription added to `opsTopic`, synth warns: the
   * region's alarms would notify nobody.
   * @default - no subscription to this region's ops topic
   */
  readonly opsEmail?: string;
  /** @default - no limit (see PagerlessProberProps.maxConcurrency) */
  readonly maxConcurrency?: number;
  /** @default false */
  readonly tracing?: boolean;
  /**
   * Of the queues, this region's ops topic and its key, and the log group.
   * @default RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * A prober region's stack. In the home region its alarms go to the core's ops topic; elsewhere it
 * has its own encrypted ops topic (`<deployment>-ops` in that region) to subscribe to.
 */
export class PagerlessProberStack extends Stack {
  readonly prober: PagerlessProber;
  /** This region's ops topic. */
  readonly opsTopic: ITopic;

  constructor(scope: Construct, id: string, props: PagerlessProberStackProps) {
    super(scope, id, { ...props, env: { account: props.env?.account, region: props.region } });
    const { names } = props.config;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE;
    if (props.region === props.config.home) {
      this.opsTopic = Topic.fromTopicArn(this, 'OpsTopic', opsTopicArn(this, props.region, names));
    } else {
      const key = topicKeyFor(this, 'OpsTopicKey', removalPolicy);
      const topic = encryptedTopic(this, 'OpsTopic', names.opsTopic, key, `Pagerless pipeline alarms (${names.deployment}, ${props.region})`, removalPolicy);
      if (props.opsEmail) topic.addSubscription(new EmailSubscription(props.opsEmail));
      this.opsTopic = topic;
      // Checked once the app is complete, so a subscription added to `opsTopic` later counts.
      Aspects.of(this).add(new WarnUnsubscribedTopic(topic, props.region));
    }
    this.prober = new PagerlessProber(this, 'Prober', {
      config: props.config,
      region: props.region,
      opsTopic: this.opsTopic,
      logRetention: props.logRetention,
      memorySize: props.memorySize,
      removalPolicy,
      maxConcurrency: props.maxConcurrency,
      tracing: props.tracing,
    });
  }
}

/** Warns when a prober region's own ops topic has no subscription (its alarms would reach nobody). */
class WarnUnsubscribedTopic implements IAspect {
  private done = false;
  constructor(private readonly topic: Topic, private readonly region: string) {}

  visit(node: IConstruct): void {
    if (this.done || node !== this.topic) return;
    this.done = true;
    if (node.node.findAll().some((c) => c instanceof Subscription)) return;
    Annotations.of(node).addWarningV2('pagerless:unsubscribed-ops-topic', `The ops topic in ${this.region} has no subscriber: this region's alarms (probe-dlq, probe-age, prober-errors, prober-throttles) notify nobody. Set opsEmail, or subscribe to probers.get('${this.region}').opsTopic.`);
  }
}
