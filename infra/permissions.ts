/**
 * ARNs built from fixed names (no cross-region references) and the least-privilege statements
 * derived from the config: the secrets it names, and the instances, hosted zones and topics its
 * reactions and channels act on. No statement here has Resource "*".
 */
import { ArnFormat, Stack } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Effect, Grant, PolicyStatement, type IGrantable } from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import type { ResourceNames } from '../shared/adapters/aws/tables.ts';
import type { EffectTargets } from './config.ts';

/** The deployment's Results table in the home region, by its fixed name. */
export function resultsTableArn(scope: IConstruct, home: string, names: ResourceNames): string {
  return Stack.of(scope).formatArn({ service: 'dynamodb', region: home, resource: 'table', resourceName: names.resultsTable });
}

export function probeQueueArn(scope: IConstruct, region: string, names: ResourceNames): string {
  return Stack.of(scope).formatArn({ service: 'sqs', region, resource: names.probeQueue, arnFormat: ArnFormat.NO_RESOURCE_NAME });
}

export function probeQueueUrl(scope: IConstruct, region: string, names: ResourceNames): string {
  const stack = Stack.of(scope);
  return `https://sqs.${region}.${stack.urlSuffix}/${stack.account}/${names.probeQueue}`;
}

export function opsTopicArn(scope: IConstruct, region: string, names: ResourceNames): string {
  return Stack.of(scope).formatArn({ service: 'sns', region, resource: names.opsTopic, arnFormat: ArnFormat.NO_RESOURCE_NAME });
}

/** `${ssm:/pagerless/pd}` -> arn:...:ssm:<home>:<account>:parameter/pagerless/pd */
export function parameterArn(scope: IConstruct, home: string, name: string): string {
  return Stack.of(scope).formatArn({ service: 'ssm', region: home, resource: 'parameter', resourceName: name.replace(/^\/+/, '') });
}

/** `${secret:name}` -> arn:...:secretsmanager:<home>:<account>:secret:name-?????? (the random suffix AWS appends). */
export function secretArn(scope: IConstruct, home: string, name: string): string {
  return Stack.of(scope).formatArn({ service: 'secretsmanager', region: home, resource: 'secret', resourceName: `${name}-??????`, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
}

export function instanceArn(scope: IConstruct, region: string, id: string): string {
  return Stack.of(scope).formatArn({ service: 'ec2', region, resource: 'instance', resourceName: id });
}

export function hostedZoneArn(scope: IConstruct, id: string): string {
  return Stack.of(scope).formatArn({ service: 'route53', region: '', account: '', resource: 'hostedzone', resourceName: id });
}

/** Reading the secrets the config names, at cold start. Empty when it names none. */
export function secretStatements(scope: IConstruct, home: string, refs: { ssm: readonly string[]; secrets: readonly string[] }): PolicyStatement[] {
  const out: PolicyStatement[] = [];
  if (refs.ssm.length > 0) {
    out.push(new PolicyStatement({
      sid: 'ReadConfigParameters',
      effect: Effect.ALLOW,
      actions: ['ssm:GetParameter'],
      resources: refs.ssm.map((p) => parameterArn(scope, home, p)),
    }));
  }
  if (refs.secrets.length > 0) {
    out.push(new PolicyStatement({
      sid: 'ReadConfigSecrets',
      effect: Effect.ALLOW,
      actions: ['secretsmanager:GetSecretValue'],
      resources: refs.secrets.map((s) => secretArn(scope, home, s)),
    }));
  }
  return out;
}

/** Running reactions and AWS channels: only on what the config names. Empty when it names nothing. */
export function effectStatements(scope: IConstruct, targets: EffectTargets): PolicyStatement[] {
  const out: PolicyStatement[] = [];
  const instances = [...targets.instances].flatMap(([region, ids]) => ids.map((id) => instanceArn(scope, region, id)));
  if (instances.length > 0) {
    out.push(new PolicyStatement({ sid: 'RebootNamedInstances', actions: ['ec2:RebootInstances'], resources: instances }));
  }
  if (targets.hostedZones.length > 0) {
    out.push(new PolicyStatement({
      sid: 'FailOverNamedZones',
      // List: read the record's original target, to restore it once the incident resolves.
      actions: ['route53:ChangeResourceRecordSets', 'route53:ListResourceRecordSets'],
      resources: targets.hostedZones.map((z) => hostedZoneArn(scope, z)),
    }));
  }
  if (targets.topicArns.length > 0) {
    out.push(new PolicyStatement({ sid: 'PublishToChannelTopics', actions: ['sns:Publish'], resources: [...targets.topicArns] }));
  }
  return out;
}

const TABLE_READ = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:Scan', 'dynamodb:ConditionCheckItem', 'dynamodb:DescribeTable'];
const TABLE_WRITE = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'];

/**
 * Item access to a table and the named indexes only (Table.grantReadWriteData would grant
 * `<table>/index/*`). Transactions are authorised by these item actions.
 */
export function grantTableAccess(grantee: IGrantable, table: ITable, access: 'read' | 'readWrite' | 'put', indexes: readonly string[] = []): Grant {
  const actions = access === 'put' ? ['dynamodb:PutItem'] : access === 'read' ? TABLE_READ : [...TABLE_READ, ...TABLE_WRITE];
  const resources = access === 'put' ? [table.tableArn] : [table.tableArn, ...indexes.map((i) => `${table.tableArn}/index/${i}`)];
  return Grant.addToPrincipal({ grantee, actions, resourceArns: resources });
}
