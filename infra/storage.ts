/**
 * The stateful half of the core stack: the Results and state tables and the KMS-encrypted topics.
 * Physical names are fixed (shared/adapters/aws/tables.ts, prefixed by the deployment name) so that
 * prober stacks in other regions address them by ARN without cross-region references.
 */
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, StreamViewType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key, type IKey } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { RESULTS_TABLE, STATE_TABLE, type ResourceNames } from '../shared/adapters/aws/tables.ts';
import { acknowledgeNag } from './nag.ts';

export interface PagerlessStorageProps {
  /** The deployment's physical names. */
  readonly names: ResourceNames;
  /**
   * What happens to the tables, the topics and the key when the stack is deleted, or when an
   * update replaces them. Only an explicit RETAIN turns on the state table's deletion protection:
   * it would stop the rollback of a failed first create (see the README on redeploying).
   * @default RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Key of the alert and ops topics. Its policy must let `cloudwatch.amazonaws.com` use it
   * (kms:Decrypt, kms:GenerateDataKey*), or alarms cannot publish to the ops topic.
   * @default - a new customer managed key with rotation, whose policy allows CloudWatch
   */
  readonly topicKey?: IKey;
}

/** Tables and topics. Nothing here runs code. */
export class PagerlessStorage extends Construct {
  /** One compact item per prober batch; streamed (NEW_IMAGE) to the evaluator; expires by TTL. */
  readonly resultsTable: Table;
  /** States, incidents, timelines, the outbox (sparse `due` index), pings, ledger and memos. */
  readonly stateTable: Table;
  /** Where Pagerless publishes incident events (subscribe email, SQS, chat bots to it). */
  readonly alertTopic: Topic;
  /** The pipeline's own alarms (DLQ not empty, errors, no results). */
  readonly opsTopic: Topic;
  readonly topicKey: IKey;

  constructor(scope: Construct, id: string, props: PagerlessStorageProps) {
    super(scope, id);
    const { names } = props;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE;

    this.resultsTable = new Table(this, 'Results', {
      tableName: names.resultsTable,
      partitionKey: { name: RESULTS_TABLE.partitionKey, type: AttributeType.STRING },
      sortKey: { name: RESULTS_TABLE.sortKey, type: AttributeType.STRING },
      timeToLiveAttribute: RESULTS_TABLE.ttlAttribute,
      stream: StreamViewType.NEW_IMAGE,
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.AWS_MANAGED,
      removalPolicy,
    });
    acknowledgeNag(this.resultsTable, 'AwsSolutions-DDB3', 'Results are a transient feed (one item per prober batch, expired by TTL after the retention) that the evaluator consumes from the stream; the durable record (states, incidents) is the state table, which has point-in-time recovery.');

    this.stateTable = new Table(this, 'State', {
      tableName: names.stateTable,
      partitionKey: { name: STATE_TABLE.partitionKey, type: AttributeType.STRING },
      sortKey: { name: STATE_TABLE.sortKey, type: AttributeType.STRING },
      timeToLiveAttribute: STATE_TABLE.ttlAttribute,
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: removalPolicy === RemovalPolicy.RETAIN,
      removalPolicy,
    });
    // Sparse: only outbox items still to run carry `duePk`, so the index stays small.
    this.stateTable.addGlobalSecondaryIndex({
      indexName: STATE_TABLE.dueIndex.name,
      partitionKey: { name: STATE_TABLE.dueIndex.partitionKey, type: AttributeType.STRING },
      sortKey: { name: STATE_TABLE.dueIndex.sortKey, type: AttributeType.NUMBER },
      projectionType: ProjectionType.ALL,
    });

    this.topicKey = props.topicKey ?? topicKeyFor(this, 'TopicKey', removalPolicy);
    this.alertTopic = encryptedTopic(this, 'Alerts', names.alertTopic, this.topicKey, `Pagerless alerts (${names.deployment})`, removalPolicy);
    this.opsTopic = encryptedTopic(this, 'Ops', names.opsTopic, this.topicKey, `Pagerless pipeline alarms (${names.deployment})`, removalPolicy);
  }
}

/** A customer managed key CloudWatch alarms can publish through (the AWS managed SNS key cannot be shared). */
export function topicKeyFor(scope: Construct, id: string, removalPolicy: RemovalPolicy): Key {
  const key = new Key(scope, id, {
    description: 'Pagerless: encrypts the alert and ops topics',
    enableKeyRotation: true,
    removalPolicy,
    pendingWindow: Duration.days(7),
  });
  key.addToResourcePolicy(new PolicyStatement({
    sid: 'CloudWatchAlarmsPublish',
    principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
    actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
    resources: ['*'],
    // Only on behalf of this account's alarms (the confused-deputy guard CloudWatch supports).
    conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(scope).account } },
  }));
  return key;
}

/** An SNS topic encrypted with `key` that refuses plain-HTTP publishers. */
export function encryptedTopic(scope: Construct, id: string, topicName: string, key: IKey, displayName: string, removalPolicy: RemovalPolicy): Topic {
  const topic = new Topic(scope, id, { topicName, displayName, masterKey: key, enforceSSL: true });
  // Its subscriptions (people who confirmed an email, chat bots) are its state.
  topic.applyRemovalPolicy(removalPolicy);
  return topic;
}
