/**
 * The deployment as it will run: `cdk synth` through the CLI, then every function started FROM ITS
 * ASSET FOLDER IN cdk.out (the bytes that are zipped and uploaded), with exactly the template's
 * handler and environment variables, as a user that does not own the files (as Lambda runs), with
 * only the AWS SDK beside it (what the Node.js runtime provides). The tables are created from the
 * template's own definitions in DynamoDB Local (keys, index, stream, TTL), the queues from the
 * prober templates in one SQS emulator per region. One minute end to end: scheduler -> each
 * region's queue -> the prober assets -> Results -> stream records (filtered as the event source
 * mapping filters them) -> the evaluator asset -> a loopback webhook receiver; and the HTTP routes
 * through the API assets with API Gateway v2 events, routed by the template's route keys.
 *
 * The one translation: AWS endpoints point at the emulators (AWS_ENDPOINT_URL_DYNAMODB, and the
 * queue URLs' `https://sqs.<region>.amazonaws.com` origin replaced by that region's emulator).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { CreateTableCommand, DescribeTableCommand, UpdateTimeToLiveCommand, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { DescribeStreamCommand, DynamoDBStreamsClient, GetRecordsCommand, GetShardIteratorCommand, type _Record } from '@aws-sdk/client-dynamodb-streams';
import { DeleteMessageBatchCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spreadFraction } from '../../shared/engine/schedule.ts';
import { startDynamoLocal } from '../support/dynamodb-local.ts';
import { startSqsLocal } from '../support/sqs-local.ts';
import { close, listen, ROOT, startReceiver } from '../e2e/harness.ts';

const REGIONS = ['us-east-1', 'eu-west-1', 'ap-southeast-2'] as const;
type Region = (typeof REGIONS)[number];
const ACCOUNT = '123456789012';
/** Lambda runs functions as a user that owns none of the files (sbx_user…); `nobody` plays it. */
const LAMBDA_USER = { uid: 65534, gid: 65534 };
const TOKEN = 'deployed-heartbeat-token-0123456789';

type Intrinsic = string | number | boolean | { [k: string]: unknown } | unknown[];
interface Resource {
  Type: string;
  Properties: Record<string, any>;
  Metadata?: Record<string, string>;
}
interface Stack {
  name: string;
  region: string;
  resources: Record<string, Resource>;
}
interface DeployedFunction {
  stack: Stack;
  id: string;
  assetDir: string;
  handler: string;
  env: Record<string, string>;
  timeoutMs: number;
}

/** A check name whose round falls in the first 10 s slot of every minute (no SQS delay to wait for). */
const CHECK = Array.from({ length: 500 }, (_, i) => `api${i}`).find((n) => spreadFraction(`shop/${n}`) < 1 / 6)!;

let root: string;
let stacks: Stack[];
let dynamo: Awaited<ReturnType<typeof startDynamoLocal>>;
const sqs = new Map<string, Awaited<ReturnType<typeof startSqsLocal>>>();
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let target: Server;
const down = new Set<Region>();
let streams: DynamoDBStreamsClient;
let iterator: string | undefined;
const runners = new Map<string, Runner>();
const asNonOwner = process.getuid?.() === 0;

// ---------------------------------------------------------------------------------------------
// The template, read as CloudFormation would resolve it.

function resolve(value: Intrinsic, stack: Stack): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) throw new Error(`a list where a string was expected: ${JSON.stringify(value)}`);
  if ('Ref' in value) return ref(String(value.Ref), stack);
  if ('Fn::Join' in value) {
    const [sep, parts] = value['Fn::Join'] as [string, Intrinsic[]];
    return parts.map((p) => resolve(p, stack)).join(sep);
  }
  if ('Fn::GetAtt' in value) {
    const [id, attr] = value['Fn::GetAtt'] as [string, string];
    if (attr === 'Arn') return arnOf(id, stack);
    throw new Error(`Fn::GetAtt ${id}.${attr} is not modelled by this test`);
  }
  throw new Error(`an intrinsic this test does not model: ${JSON.stringify(value)}`);
}

function ref(id: string, stack: Stack): string {
  const pseudo: Record<string, string> = { 'AWS::AccountId': ACCOUNT, 'AWS::Region': stack.region, 'AWS::URLSuffix': 'amazonaws.com', 'AWS::Partition': 'aws' };
  if (id in pseudo) return pseudo[id]!;
  const r = stack.resources[id];
  if (!r) throw new Error(`Ref to ${id}, which is not in ${stack.name}`);
  switch (r.Type) {
    case 'AWS::DynamoDB::Table':
      return r.Properties.TableName ?? id;
    case 'AWS::SQS::Queue':
      return `https://sqs.${stack.region}.amazonaws.com/${ACCOUNT}/${r.Properties.QueueName ?? id}`;
    case 'AWS::SNS::Topic':
      return arnOf(id, stack);
    case 'AWS::Lambda::Function':
      return r.Properties.FunctionName ?? id;
    default:
      return id;
  }
}

function arnOf(id: string, stack: Stack): string {
  const r = stack.resources[id]!;
  const p = r.Properties;
  switch (r.Type) {
    case 'AWS::SNS::Topic':
      return `arn:aws:sns:${stack.region}:${ACCOUNT}:${p.TopicName ?? id}`;
    case 'AWS::SQS::Queue':
      return `arn:aws:sqs:${stack.region}:${ACCOUNT}:${p.QueueName ?? id}`;
    case 'AWS::Lambda::Function':
      return `arn:aws:lambda:${stack.region}:${ACCOUNT}:function:${p.FunctionName ?? id}`;
    case 'AWS::DynamoDB::Table':
      return `arn:aws:dynamodb:${stack.region}:${ACCOUNT}:table/${p.TableName ?? id}`;
    default:
      return `arn:aws:${r.Type}:${stack.region}:${ACCOUNT}:${id}`;
  }
}

function resourcesOf(type: string): { stack: Stack; id: string; r: Resource }[] {
  return stacks.flatMap((stack) => Object.entries(stack.resources).filter(([, r]) => r.Type === type).map(([id, r]) => ({ stack, id, r })));
}

/** The table as the template defines it, created in DynamoDB Local (stream and TTL included). */
async function createTableFromTemplate(p: Record<string, any>): Promise<void> {
  const input: CreateTableCommandInput = {
    TableName: p.TableName,
    AttributeDefinitions: p.AttributeDefinitions,
    KeySchema: p.KeySchema,
    BillingMode: p.BillingMode ?? 'PROVISIONED',
    ...(p.BillingMode === 'PAY_PER_REQUEST' ? {} : { ProvisionedThroughput: p.ProvisionedThroughput }),
    ...(p.GlobalSecondaryIndexes ? { GlobalSecondaryIndexes: p.GlobalSecondaryIndexes.map((g: any) => ({ IndexName: g.IndexName, KeySchema: g.KeySchema, Projection: g.Projection })) } : {}),
    ...(p.StreamSpecification ? { StreamSpecification: { StreamEnabled: true, StreamViewType: p.StreamSpecification.StreamViewType } } : {}),
  };
  const admin = dynamo.client();
  await admin.send(new CreateTableCommand(input));
  if (p.TimeToLiveSpecification?.Enabled) {
    await admin.send(new UpdateTimeToLiveCommand({ TableName: p.TableName, TimeToLiveSpecification: { AttributeName: p.TimeToLiveSpecification.AttributeName, Enabled: true } }));
  }
}

/** The AWS SDK and its dependencies, as the Node.js runtime provides them beside the task root. */
function linkRuntimeSdk(into: string): void {
  const modules = join(ROOT, 'node_modules');
  const queue = readdirSync(join(modules, '@aws-sdk')).map((n) => `@aws-sdk/${n}`);
  const seen = new Set<string>();
  while (queue.length > 0) {
    const name = queue.pop()!;
    if (seen.has(name) || !existsSync(join(modules, name, 'package.json'))) continue;
    seen.add(name);
    const pkg = JSON.parse(readFileSync(join(modules, name, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    queue.push(...Object.keys(pkg.dependencies ?? {}));
  }
  for (const name of seen) {
    mkdirSync(dirname(join(into, name)), { recursive: true });
    symlinkSync(join(modules, name), join(into, name));
  }
}

// ---------------------------------------------------------------------------------------------
// One warm execution environment per function.

class Runner {
  private readonly child: ChildProcess;
  private readonly waiting = new Map<number, (answer: { result?: unknown; error?: string }) => void>();
  private next = 0;
  logs = '';
  readonly ready: Promise<void>;

  constructor(readonly fn: DeployedFunction, runnerScript: string) {
    this.child = spawn(process.execPath, [runnerScript, fn.assetDir, fn.handler, fn.id], {
      cwd: fn.assetDir,
      env: fn.env,
      stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
      ...(asNonOwner ? LAMBDA_USER : {}),
    });
    this.child.stdout!.on('data', (d: Buffer) => (this.logs = (this.logs + d.toString()).slice(-20_000)));
    this.child.stderr!.on('data', (d: Buffer) => (this.logs = (this.logs + d.toString()).slice(-20_000)));
    let onReady: (v: { ready: boolean; error?: string }) => void = () => undefined;
    const readyAnswer = new Promise<{ ready: boolean; error?: string }>((r) => (onReady = r));
    createInterface({ input: this.child.stdio[3] as NodeJS.ReadableStream }).on('line', (line) => {
      const m = JSON.parse(line) as { id?: number; ready?: boolean; error?: string; result?: unknown };
      if (m.id === undefined) onReady(m as { ready: boolean; error?: string });
      else this.waiting.get(m.id)?.(m);
    });
    this.child.once('exit', (code) => {
      onReady({ ready: false, error: `exited with ${code}` });
      for (const w of this.waiting.values()) w({ error: `the function's process exited with ${code}: ${this.logs.slice(-2_000)}` });
    });
    this.ready = readyAnswer.then((m) => {
      if (!m.ready) throw new Error(`${fn.id} (${fn.stack.name}) could not start: ${m.error}\n${this.logs.slice(-2_000)}`);
    });
  }

  async invoke<T>(event: unknown): Promise<T> {
    await this.ready;
    const id = ++this.next;
    const answer = await new Promise<{ result?: unknown; error?: string }>((resolve) => {
      const timer = setTimeout(() => resolve({ error: `timed out after ${this.fn.timeoutMs} ms (the function's Timeout)` }), this.fn.timeoutMs);
      this.waiting.set(id, (a) => {
        clearTimeout(timer);
        resolve(a);
      });
      this.child.stdin!.write(`${JSON.stringify({ id, event, timeoutMs: this.fn.timeoutMs })}\n`);
    });
    this.waiting.delete(id);
    if (answer.error) throw new Error(`${this.fn.id} failed: ${answer.error}\n${this.logs.slice(-2_000)}`);
    return answer.result as T;
  }

  stop(): void {
    this.child.kill('SIGKILL');
  }
}

function runner(stackName: string, logicalIdPrefix: string): Runner {
  const key = `${stackName}/${logicalIdPrefix}`;
  const existing = runners.get(key);
  if (existing) return existing;
  const found = resourcesOf('AWS::Lambda::Function').filter(({ stack, id }) => stack.name === stackName && id.startsWith(logicalIdPrefix));
  if (found.length !== 1) throw new Error(`expected one function ${logicalIdPrefix}* in ${stackName}, found ${found.map((f) => f.id).join(', ') || 'none'}`);
  const { stack, id, r } = found[0]!;
  const p = r.Properties;
  const assetDir = join(root, 'cdk.out', r.Metadata!['aws:asset:path']!);
  // Exactly the template's variables, then what the Lambda service sets, then the emulators' endpoints.
  const templateEnv = Object.fromEntries(Object.entries((p.Environment?.Variables ?? {}) as Record<string, Intrinsic>).map(([k, v]) => [k, toEmulators(resolve(v, stack))]));
  const env: Record<string, string> = {
    ...templateEnv,
    PATH: '/usr/local/bin:/usr/bin:/bin',
    TZ: ':UTC',
    LANG: 'en_US.UTF-8',
    LAMBDA_TASK_ROOT: assetDir,
    AWS_EXECUTION_ENV: `AWS_Lambda_${String(p.Runtime).replace('.', '')}`,
    AWS_LAMBDA_FUNCTION_NAME: p.FunctionName ?? id,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(p.MemorySize ?? 128),
    AWS_REGION: stack.region,
    AWS_DEFAULT_REGION: stack.region,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB_STREAMS: dynamo.endpoint,
  };
  const fn: DeployedFunction = { stack, id, assetDir, handler: p.Handler, env, timeoutMs: (p.Timeout ?? 3) * 1000 };
  const made = new Runner(fn, join(root, 'lambda-runner.mjs'));
  runners.set(key, made);
  return made;
}

/** Queue URLs of a region reach that region's emulator. */
function toEmulators(value: string): string {
  return value.replace(/https:\/\/sqs\.([a-z0-9-]+)\.amazonaws\.com/g, (whole, region: string) => sqs.get(region)?.endpoint ?? whole);
}

// ---------------------------------------------------------------------------------------------

const HOME = 'Pagerless';
const prober = (region: string) => `Pagerless-Prober-${region}`;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'pagerless-deployed-'));
  chmodSync(root, 0o755); // the Lambda user must reach the task roots (each asset keeps its own modes)
  receiver = await startReceiver();
  target = createServer((req, res) => {
    const region = /region=([a-z0-9-]+)/.exec(req.headers['user-agent'] ?? '')?.[1] as Region | undefined;
    res.statusCode = region && down.has(region) ? 503 : 200;
    res.end(res.statusCode === 200 ? 'healthy' : 'unavailable');
  });
  const port = await listen(target);
  const config = join(root, 'monitors.yaml');
  writeFileSync(config, `version: 1
settings: { home: us-east-1, regions: [${REGIONS.join(', ')}] }
defaults: { interval: 60s, timeout: 2s, failures: 1, recoveries: 1, quorum: 2 }
channels:
  hook: { type: webhook, url: "${receiver.url}/alerts", secret: deployed-secret }
services:
  - name: shop
    alert: [hook]
    checks:
      - name: ${CHECK}
        http: { url: "http://127.0.0.1:${port}/health" }
      - name: nightly
        heartbeat: { every: 1h, grace: 10m, token: ${TOKEN} }
`);
  // The CDK CLI, as a user runs it (bundling, staging and modes included).
  const synth = await new Promise<{ code: number; output: string }>((done) => {
    const child = spawn(join(ROOT, 'node_modules/.bin/cdk'), ['synth', '-q', '-c', `config=${config}`, '-c', 'nag=false', '-o', join(root, 'cdk.out')], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    child.once('close', (code) => done({ code: code ?? -1, output }));
  });
  if (synth.code !== 0) throw new Error(`cdk synth failed (${synth.code}): ${synth.output.slice(-3_000)}`);
  const manifest = JSON.parse(readFileSync(join(root, 'cdk.out/manifest.json'), 'utf8')) as { artifacts: Record<string, { type: string; environment?: string; properties?: { templateFile: string } }> };
  stacks = Object.entries(manifest.artifacts)
    .filter(([, a]) => a.type === 'aws:cloudformation:stack')
    .map(([name, a]) => ({ name, region: a.environment!.split('/').at(-1)!, resources: JSON.parse(readFileSync(join(root, 'cdk.out', a.properties!.templateFile), 'utf8')).Resources }));
  copyFileSync(join(ROOT, 'test/deployed/lambda-runner.mjs'), join(root, 'lambda-runner.mjs'));
  chmodSync(join(root, 'lambda-runner.mjs'), 0o644);
  linkRuntimeSdk(join(root, 'node_modules'));

  dynamo = await startDynamoLocal();
  for (const { r } of resourcesOf('AWS::DynamoDB::Table')) await createTableFromTemplate(r.Properties);
  for (const region of REGIONS) sqs.set(region, await startSqsLocal());
  for (const { stack, id, r } of resourcesOf('AWS::SQS::Queue')) {
    await sqs.get(stack.region)!.createQueue(r.Properties.QueueName ?? id, stack.region);
  }
  streams = new DynamoDBStreamsClient({ region: 'us-east-1', endpoint: dynamo.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
}, 240_000);

/** An iterator at the start of the Results stream, taken when the first records are there. */
async function streamIterator(): Promise<string | undefined> {
  const resultsTable = resourcesOf('AWS::DynamoDB::Table').find(({ r }) => r.Properties.StreamSpecification)!.r.Properties.TableName as string;
  const streamArn = (await dynamo.client().send(new DescribeTableCommand({ TableName: resultsTable }))).Table!.LatestStreamArn!;
  const shard = (await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }))).StreamDescription!.Shards![0]!;
  return (await streams.send(new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: shard.ShardId!, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator;
}

afterAll(async () => {
  for (const r of runners.values()) r.stop();
  streams?.destroy();
  await dynamo?.stop();
  for (const s of sqs.values()) await s.stop();
  await receiver?.close();
  if (target) await close(target);
});

/** The event source mapping of a function, as the template declares it. */
function eventSourceOf(stackName: string, functionPrefix: string): Record<string, any> {
  const found = resourcesOf('AWS::Lambda::EventSourceMapping').find(({ stack, r }) => stack.name === stackName && String(r.Properties.FunctionName?.Ref ?? '').startsWith(functionPrefix));
  if (!found) throw new Error(`no event source mapping for ${functionPrefix} in ${stackName}`);
  return found.r.Properties;
}

/** The mapping's filter patterns, applied as Lambda applies them (top-level keys with allowed values). */
function passesFilters(record: Record<string, unknown>, mapping: Record<string, any>): boolean {
  const filters = (mapping.FilterCriteria?.Filters ?? []) as { Pattern: string }[];
  if (filters.length === 0) return true;
  return filters.some((f) => Object.entries(JSON.parse(f.Pattern) as Record<string, unknown>).every(([key, allowed]) => {
    if (!Array.isArray(allowed)) throw new Error(`a filter pattern this test does not model: ${f.Pattern}`);
    return allowed.includes(record[key]);
  }));
}

/** A region's queue, received as its event source mapping would, handed to the prober asset. */
async function runProber(region: Region): Promise<number> {
  const mapping = eventSourceOf(prober(region), 'Prober');
  const queue = resourcesOf('AWS::SQS::Queue').find(({ stack, id }) => stack.name === prober(region) && id === mapping.EventSourceArn['Fn::GetAtt'][0])!;
  const queueName = queue.r.Properties.QueueName ?? queue.id;
  const client = sqs.get(region)!.client(region);
  const url = `${sqs.get(region)!.endpoint}/${ACCOUNT}/${queueName}`;
  const out = await client.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: Math.min(10, mapping.BatchSize ?? 10), WaitTimeSeconds: 0, AttributeNames: ['All'] }));
  const messages = out.Messages ?? [];
  if (messages.length === 0) return 0;
  const event = {
    Records: messages.map((m) => ({
      messageId: m.MessageId!, receiptHandle: m.ReceiptHandle!, body: m.Body!, attributes: m.Attributes ?? {}, messageAttributes: {},
      md5OfBody: m.MD5OfBody!, eventSource: 'aws:sqs', eventSourceARN: `arn:aws:sqs:${region}:${ACCOUNT}:${queueName}`, awsRegion: region,
    })),
  };
  const response = await runner(prober(region), 'Prober').invoke<{ batchItemFailures: unknown[] }>(event);
  expect(response.batchItemFailures).toEqual([]);
  await client.send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
  return messages.length;
}

/** New stream records, filtered by the evaluator's mapping, in the Lambda event shape. */
async function readStream(): Promise<{ Records: unknown[] }> {
  const mapping = eventSourceOf(HOME, 'PagerlessCoreEvaluator');
  const records: _Record[] = [];
  iterator ??= await streamIterator();
  for (let i = 0; i < 10 && iterator; i++) {
    const out = await streams.send(new GetRecordsCommand({ ShardIterator: iterator }));
    iterator = out.NextShardIterator;
    records.push(...(out.Records ?? []));
    if (!out.Records?.length) break;
  }
  return { Records: records.filter((r) => passesFilters(r as Record<string, unknown>, mapping)).map((r) => ({ ...r, eventSourceARN: 'arn:aws:dynamodb:us-east-1:123456789012:table/results/stream/x' })) };
}

// Minutes from now on: the template enables TTL on Results, and DynamoDB Local expires (and trims
// from the stream) items whose TTL has passed, as DynamoDB does.
let minute = Math.floor(Date.now() / 60_000) * 60_000;
async function runMinute(): Promise<void> {
  const time = new Date(minute).toISOString();
  await runner(HOME, 'PagerlessCoreScheduler').invoke({ version: '0', id: `m-${minute}`, 'detail-type': 'Scheduled Event', source: 'aws.events', account: ACCOUNT, time, region: 'us-east-1', resources: [], detail: {} });
  minute += 60_000;
  for (const r of REGIONS) expect(await runProber(r)).toBe(1);
  const batch = await readStream();
  // One INSERT per prober batch, and one for the heartbeats the scheduler judged; nothing else passes the filter.
  expect(batch.Records.length).toBeGreaterThanOrEqual(REGIONS.length);
  expect(new Set(batch.Records.map((r) => (r as { eventName: string }).eventName))).toEqual(new Set(['INSERT']));
  const response = await runner(HOME, 'PagerlessCoreEvaluator').invoke<{ batchItemFailures: unknown[] }>(batch);
  expect(response.batchItemFailures).toEqual([]);
}

/** An API Gateway HTTP API request (payload 2.0), routed by the template's route keys to its function. */
async function request(method: string, path: string, body?: string): Promise<{ statusCode: number; body: string; headers?: Record<string, string> }> {
  const [rawPath, rawQueryString = ''] = path.split('?') as [string, string?];
  const routes = resourcesOf('AWS::ApiGatewayV2::Route').map(({ stack, r }) => ({ stack, key: r.Properties.RouteKey as string, target: r.Properties.Target }));
  const match = routes.find(({ key }) => {
    const [m, pattern] = key.split(' ') as [string, string];
    return m === method && new RegExp(`^${pattern.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(rawPath);
  });
  if (!match) return { statusCode: 404, body: 'Not Found' }; // API Gateway answers unrouted paths itself
  const integrationId = (match.target['Fn::Join'][1] as Intrinsic[]).map((p) => (typeof p === 'string' ? '' : (p as { Ref: string }).Ref)).join('');
  const integration = match.stack.resources[integrationId]!;
  const fnId = integration.Properties.IntegrationUri['Fn::GetAtt'][0] as string;
  const params: Record<string, string> = {};
  const [, pattern] = match.key.split(' ') as [string, string];
  pattern.split('/').forEach((seg, i) => {
    const name = /^\{(.+)\}$/.exec(seg)?.[1];
    if (name) params[name] = rawPath.split('/')[i]!;
  });
  const event = {
    version: '2.0', routeKey: match.key, rawPath, rawQueryString, headers: { host: 'api.example.com', ...(body ? { 'content-type': 'application/json' } : {}) },
    requestContext: { accountId: ACCOUNT, apiId: 'api', domainName: 'api.example.com', http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '192.0.2.1', userAgent: 'test' }, requestId: 'r', routeKey: match.key, stage: '$default', time: '', timeEpoch: Date.now() },
    pathParameters: params, isBase64Encoded: false, ...(body ? { body } : {}),
  };
  return runner(match.stack.name, fnId).invoke(event);
}

const alerts = (name: string) => receiver.received.filter((r) => r.path === '/alerts' && r.json?.event === name);

describe('the synthesized assets, run as deployed', () => {
  it('every function package is readable by a user that does not own it, and every function starts as one', async () => {
    const functions = resourcesOf('AWS::Lambda::Function');
    expect(functions.length).toBeGreaterThanOrEqual(4 + REGIONS.length);
    for (const { stack, id, r } of functions) {
      const dir = join(root, 'cdk.out', r.Metadata!['aws:asset:path']!);
      for (const name of readdirSync(dir, { recursive: true }) as string[]) {
        const st = statSync(join(dir, name));
        // Others may read every file and enter every folder: Lambda's user owns none of them.
        expect({ file: `${stack.name}/${id}/${name}`, readable: (st.mode & (st.isDirectory() ? 0o005 : 0o004)) === (st.isDirectory() ? 0o005 : 0o004) }).toEqual({ file: `${stack.name}/${id}/${name}`, readable: true });
      }
    }
    // The scheduler, evaluator, ingest and status functions, and a prober per region: each imports its handler.
    await runner(HOME, 'PagerlessCoreScheduler').ready;
    await runner(HOME, 'PagerlessCoreEvaluator').ready;
    await runner(HOME, 'PagerlessCoreIngest').ready;
    await runner(HOME, 'PagerlessCoreStatus').ready;
    for (const region of REGIONS) await runner(prober(region), 'Prober').ready;
  }, 60_000);

  it('one incident when 2 of 3 regions fail, through scheduler, probers, stream and evaluator; resolved once', async () => {
    await runMinute();
    expect(receiver.received.filter((r) => r.path === '/alerts')).toEqual([]);
    down.add('eu-west-1');
    down.add('ap-southeast-2');
    await runMinute();
    expect(alerts('incident.opened')).toHaveLength(1);
    expect(alerts('incident.opened')[0]!.json.incident).toMatchObject({ check: `shop/${CHECK}`, regions: { 'us-east-1': 'up', 'eu-west-1': 'down', 'ap-southeast-2': 'down' } });

    // The routes through the API assets: /status names the failing check; /api/checks has every region.
    const status = await request('GET', '/status');
    expect(status.statusCode).toBe(503);
    expect(status.body).toContain(`shop/${CHECK}: status 503`);
    const checks = JSON.parse((await request('GET', '/api/checks')).body).checks as { check: string; regions: Record<string, unknown> }[];
    expect(Object.keys(checks.find((c) => c.check === `shop/${CHECK}`)!.regions).sort()).toEqual([...REGIONS].sort());

    down.clear();
    await runMinute();
    expect(alerts('incident.resolved')).toHaveLength(1);
    expect(alerts('incident.opened')).toHaveLength(1);
    expect((await request('GET', '/status')).statusCode).toBe(200);
  }, 120_000);

  it('pings and hooks through the ingest asset; unrouted paths never reach a function', async () => {
    expect((await request('POST', `/ping/${TOKEN}`)).statusCode).toBe(200);
    expect((await request('GET', '/ping/not-a-token')).statusCode).toBe(404);
    expect((await request('GET', '/health')).statusCode).toBe(200);
    expect((await request('DELETE', '/status')).statusCode).toBe(404);
  }, 60_000);
});
