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

/** Any KMS key of an account in a region (a config names secrets and topics, never their keys). */
function anyKeyArn(scope: IConstruct, region: string, account?: string): string {
  return Stack.of(scope).formatArn({ service: 'kms', region, account, resource: 'key', resourceName: '*' });
}

/**
 * Reading the parameters and secrets a function resolves, at cold start (config.ts
 * referencedSecrets). Empty when it resolves none. A customer managed key of a SecureString or a
 * secret is unknown at synth: kms:Decrypt is allowed on any key of the home region, but only
 * through that service and for exactly these parameters and secrets (the encryption context each
 * service sets), so it opens nothing else the keys protect.
 */
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
  const suffix = Stack.of(scope).urlSuffix;
  if (refs.ssm.length > 0) {
    out.push(new PolicyStatement({
      sid: 'DecryptConfigParameters',
      actions: ['kms:Decrypt'],
      resources: [anyKeyArn(scope, home)],
      conditions: {
        StringEquals: {
          'kms:ViaService': `ssm.${home}.${suffix}`,
          // Parameter Store's encryption context: the parameter's ARN (any of these).
          'kms:EncryptionContext:PARAMETER_ARN': refs.ssm.map((p) => parameterArn(scope, home, p)),
        },
      },
    }));
  }
  if (refs.secrets.length > 0) {
    out.push(new PolicyStatement({
      sid: 'DecryptConfigSecrets',
      actions: ['kms:Decrypt'],
      resources: [anyKeyArn(scope, home)],
      conditions: {
        StringEquals: { 'kms:ViaService': `secretsmanager.${home}.${suffix}` },
        // Secrets Manager's encryption context: the secret's ARN, with its random suffix (any of these).
        StringLike: { 'kms:EncryptionContext:SecretARN': refs.secrets.map((s) => secretArn(scope, home, s)) },
      },
    }));
  }
  return out;
}

/** A managed policy's limit is 6,144 characters; keep room for the document around the statements. */
export const MANAGED_POLICY_BUDGET = 5_800;

/**
 * Statements packed into documents of at most `budget` characters as IAM counts them (rendered,
 * no whitespace; the longest partition, account and URL suffix assumed): a statement naming more
 * resources than one document holds is cut into several (the same actions, Sid numbered).
 */
export function packStatements(scope: IConstruct, statements: readonly PolicyStatement[], budget = MANAGED_POLICY_BUDGET): PolicyStatement[][] {
  const stack = Stack.of(scope);
  const size = (st: PolicyStatement) => renderedSize(stack.resolve(st.toStatementJson()));
  const pieces: PolicyStatement[] = [];
  for (const st of statements) {
    if (size(st) <= budget) { pieces.push(st); continue; }
    const json = st.toStatementJson() as { Sid?: string; Action: string | string[]; Condition?: Record<string, Record<string, unknown>> };
    let chunk: string[] = [];
    const flush = () => {
      pieces.push(new PolicyStatement({ sid: `${json.Sid ?? 'Part'}${pieces.length}`, actions: [json.Action].flat(), resources: chunk, conditions: json.Condition }));
      chunk = [];
    };
    const empty = new PolicyStatement({ sid: json.Sid, actions: [json.Action].flat(), resources: ['x'], conditions: json.Condition });
    let used = size(empty);
    for (const r of st.resources) {
      const cost = renderedSize(stack.resolve(r)) + 1;
      if (chunk.length > 0 && used + cost > budget) { flush(); used = size(empty); }
      chunk.push(r);
      used += cost;
    }
    if (chunk.length > 0) flush();
  }
  const docs: PolicyStatement[][] = [];
  let current: PolicyStatement[] = [];
  let used = 0;
  for (const st of pieces) {
    const cost = size(st) + 1;
    if (current.length > 0 && used + cost > budget) { docs.push(current); current = []; used = 0; }
    current.push(st);
    used += cost;
  }
  if (current.length > 0) docs.push(current);
  return docs;
}

/** The length of resolved policy JSON once CloudFormation renders it (worst-case pseudo parameters). */
export function renderedSize(resolved: unknown): number {
  const worst: Record<string, string> = { 'AWS::Partition': 'aws-iso-b', 'AWS::AccountId': '123456789012', 'AWS::URLSuffix': 'amazonaws.com.cn', 'AWS::Region': 'ap-southeast-5' };
  const render = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(render);
    if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if ('Ref' in o) return worst[String(o.Ref)] ?? 'x'.repeat(64);
      if ('Fn::Join' in o) {
        const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
        return parts.map((p) => String(render(p))).join(sep);
      }
      return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, render(x)]));
    }
    return v;
  };
  return JSON.stringify(render(resolved)).length;
}

/** The cdk-nag findings of the key wildcards of effectStatements (the channels' topics' keys). */
export function effectTargetFindings(statements: readonly PolicyStatement[]): string[] {
  return statements.filter((s) => s.sid?.startsWith('EncryptForChannelTopics')).flatMap((s) => s.resources.map((r) => {
    const [, , , region, account] = String(r).split(':');
    return keyWildcardFinding(region!, account);
  }));
}

/** The cdk-nag finding of the key wildcard of secretStatements, to acknowledge on the roles that carry it. */
export function keyWildcardFinding(region: string, account = '<AWS::AccountId>'): string {
  return `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:kms:${region}:${account}:key/*]`;
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
    // A channel's topic may be encrypted with a customer managed key the config cannot name: its
    // account's keys, used only by SNS in the topic's region and only for these topics.
    const byPlace = new Map<string, { region: string; account: string; topics: string[] }>();
    for (const arn of targets.topicArns) {
      const [, , , region, account] = arn.split(':');
      if (!region || !account) continue;
      const place = byPlace.get(`${region}:${account}`) ?? { region, account, topics: [] };
      place.topics.push(arn);
      byPlace.set(`${region}:${account}`, place);
    }
    [...byPlace.values()].forEach((p, i) => {
      out.push(new PolicyStatement({
        sid: `EncryptForChannelTopics${i}`,
        actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
        resources: [anyKeyArn(scope, p.region, p.account)],
        conditions: {
          StringEquals: {
            'kms:ViaService': `sns.${p.region}.${Stack.of(scope).urlSuffix}`,
            // SNS's encryption context: the topic's ARN (any of these).
            'kms:EncryptionContext:aws:sns:topicArn': p.topics,
          },
        },
      }));
    });
  }
  return out;
}

// Exactly what the DynamoDB store sends (shared/adapters/aws/dynamo-store.ts): Get, BatchGet and
// Query; Put, Update, Delete, and TransactWrite, which is authorised by its items' actions. No Scan,
// no BatchWriteItem, no ConditionCheck item, no DescribeTable.
const TABLE_READ = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'];
const TABLE_WRITE = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'];

/**
 * Item access to a table and the named indexes only (Table.grantReadWriteData would grant
 * `<table>/index/*`). Transactions are authorised by these item actions.
 */
export function grantTableAccess(grantee: IGrantable, table: ITable, access: 'read' | 'readWrite' | 'put', indexes: readonly string[] = []): Grant {
  const actions = access === 'put' ? ['dynamodb:PutItem'] : access === 'read' ? TABLE_READ : [...TABLE_READ, ...TABLE_WRITE];
  const resources = access === 'put' ? [table.tableArn] : [table.tableArn, ...indexes.map((i) => `${table.tableArn}/index/${i}`)];
  return Grant.addToPrincipal({ grantee, actions, resourceArns: resources });
}
