/**
 * The serverless pipeline end to end, on emulators: the real handlers (functions/*.ts) with the AWS
 * SDK pointed at DynamoDB Local (with Streams) and the SQS emulator. Scheduler -> SQS -> a prober
 * in each of three simulated regions -> one Results item per batch -> the stream -> evaluator ->
 * a loopback webhook receiver. Targets answer by the prober's region (its User-Agent names it).
 */
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeStreamCommand, DynamoDBStreamsClient, GetRecordsCommand, GetShardIteratorCommand, type _Record } from '@aws-sdk/client-dynamodb-streams';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { Context, DynamoDBStreamEvent, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { RESOURCE_NAMES } from '../../shared/adapters/aws/tables.ts';
import { serializeCompiled } from '../../shared/config/compiled-json.ts';
import { parseConfig } from '../../shared/config/load.ts';
import { spreadFraction } from '../../shared/engine/schedule.ts';
import { startDynamoLocal } from '../support/dynamodb-local.ts';
import { startSqsLocal } from '../support/sqs-local.ts';
import { close, listen, startReceiver, tempDir } from './harness.ts';

const REGIONS = ['us-east-1', 'eu-west-1', 'ap-southeast-2'] as const;
type Region = (typeof REGIONS)[number];
type Handler<E> = (event: E, context: Context) => Promise<unknown>;

let dynamo: Awaited<ReturnType<typeof startDynamoLocal>>;
let sqs: Awaited<ReturnType<typeof startSqsLocal>>;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let target: Server;
/** A second receiver that answers 500 until the test lets it recover. */
let flaky: Server;
let flakyUp = false;
const flakyGot: { event: string; id: string }[] = [];
const down = new Set<Region>();
const queueUrls: Record<string, string> = {};
let evaluatorDlq: string;
let scheduler: Handler<{ time: string }>;
let status: Handler<unknown>;
let evaluator: Handler<DynamoDBStreamEvent>;
const probers = new Map<Region, Handler<SQSEvent>>();
let streams: DynamoDBStreamsClient;
let iterator: string | undefined;

/** A check name whose round falls in the first 10 s slot of every minute (no SQS delay to wait for). */
const CHECK_NAME = Array.from({ length: 500 }, (_, i) => `api${i}`).find((n) => spreadFraction(`shop/${n}`) < 1 / 6)!;

function context(): Context {
  return {
    functionName: 'test', functionVersion: '$LATEST', invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:test',
    memoryLimitInMB: '256', awsRequestId: `req-${Math.random()}`, logGroupName: 'test', logStreamName: 'test', callbackWaitsForEmptyEventLoop: false,
    getRemainingTimeInMillis: () => 30_000, done: () => undefined, fail: () => undefined, succeed: () => undefined,
  } as Context;
}

async function importFresh<T>(path: string, env: Record<string, string>): Promise<T> {
  vi.resetModules();
  Object.assign(process.env, env);
  return (await import(path)) as T;
}

beforeAll(async () => {
  dynamo = await startDynamoLocal();
  await dynamo.createTables({ state: RESOURCE_NAMES.stateTable, results: RESOURCE_NAMES.resultsTable });
  sqs = await startSqsLocal();
  for (const r of REGIONS) queueUrls[r] = await sqs.createQueue(`${RESOURCE_NAMES.probeQueue}-${r}`, r);
  evaluatorDlq = await sqs.createQueue('evaluator-dead-letters', 'us-east-1');
  receiver = await startReceiver();
  target = createServer((req, res) => {
    const region = /region=([a-z0-9-]+)/.exec(req.headers['user-agent'] ?? '')?.[1] as Region | undefined;
    res.statusCode = region && down.has(region) ? 503 : 200;
    res.end(res.statusCode === 200 ? 'healthy' : 'unavailable');
  });
  const port = await listen(target);
  flaky = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      if (flakyUp) flakyGot.push({ event: body.event, id: body.incident?.id });
      res.statusCode = flakyUp ? 200 : 500;
      res.end();
    });
  });
  const flakyPort = await listen(flaky);
  const root = tempDir('pagerless-lambda-');
  // What `cdk synth` bundles: the config validated and compiled for AWS, as JSON.
  const yaml = `version: 1
settings: { home: us-east-1, regions: [${REGIONS.join(', ')}], summary: { every: 1h, channels: [digest] } }
defaults: { interval: 60s, timeout: 2s, failures: 1, recoveries: 1, quorum: 2 }
channels:
  hook: { type: webhook, url: "${receiver.url}/alerts", secret: pipeline-secret }
  flaky: { type: webhook, url: "http://127.0.0.1:${flakyPort}/flaky" }
  digest: { type: webhook, url: "${receiver.url}/digest" }
services:
  - name: shop
    alert: [hook, flaky]
    checks:
      - name: ${CHECK_NAME}
        http: { url: "http://127.0.0.1:${port}/health" }
`;
  writeFileSync(join(root, 'monitors.json'), serializeCompiled(parseConfig(yaml, 'monitors.yaml', {}, { target: 'aws', secretRefs: 'placeholder' })));
  const common = {
    AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint, AWS_ENDPOINT_URL_DYNAMODB_STREAMS: dynamo.endpoint, AWS_ENDPOINT_URL_SQS: sqs.endpoint,
    LAMBDA_TASK_ROOT: root, PAGERLESS_CONFIG_FILE: 'monitors.json',
    PAGERLESS_STATE_TABLE: RESOURCE_NAMES.stateTable, PAGERLESS_RESULTS_TABLE: RESOURCE_NAMES.resultsTable,
    POWERTOOLS_METRICS_NAMESPACE: 'Pagerless', POWERTOOLS_SERVICE_NAME: 'pagerless', POWERTOOLS_DEV: 'false', POWERTOOLS_LOG_LEVEL: 'WARN',
  };
  scheduler = (await importFresh<{ handler: typeof scheduler }>('../../functions/scheduler.ts', { ...common, PAGERLESS_QUEUE_URLS: JSON.stringify(queueUrls), PAGERLESS_EVALUATOR_DLQ_URL: evaluatorDlq, PAGERLESS_REGION: 'us-east-1' })).handler;
  evaluator = (await importFresh<{ handler: typeof evaluator }>('../../functions/evaluator.ts', { ...common, PAGERLESS_REGION: 'us-east-1' })).handler;
  status = (await importFresh<{ handler: typeof status }>('../../functions/status.ts', { ...common, PAGERLESS_REGION: 'us-east-1' })).handler;
  for (const r of REGIONS) probers.set(r, (await importFresh<{ handler: Handler<SQSEvent> }>('../../functions/prober.ts', { ...common, PAGERLESS_REGION: r })).handler);
  streams = new DynamoDBStreamsClient({ region: 'us-east-1', endpoint: dynamo.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const ddb = new DynamoDBClient({ region: 'us-east-1', endpoint: dynamo.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const streamArn = (await ddb.send(new DescribeTableCommand({ TableName: RESOURCE_NAMES.resultsTable }))).Table!.LatestStreamArn!;
  const shard = (await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }))).StreamDescription!.Shards![0]!;
  iterator = (await streams.send(new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: shard.ShardId!, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator;
}, 60_000);

afterAll(async () => {
  await dynamo?.stop();
  await sqs?.stop();
  await receiver?.close();
  if (target) await close(target);
  if (flaky) await close(flaky);
});

/** Receive a region's due messages and hand them to its prober, as the SQS event source would. */
async function runProber(region: Region): Promise<number> {
  const url = queueUrls[region]!;
  const out = await sqs.client(region).send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, AttributeNames: ['All'] }));
  const messages = out.Messages ?? [];
  if (messages.length === 0) return 0;
  const event: SQSEvent = {
    Records: messages.map((m) => ({
      messageId: m.MessageId!, receiptHandle: m.ReceiptHandle!, body: m.Body!, attributes: m.Attributes as never, messageAttributes: {},
      md5OfBody: m.MD5OfBody!, eventSource: 'aws:sqs', eventSourceARN: `arn:aws:sqs:${region}:123456789012:${RESOURCE_NAMES.probeQueue}`, awsRegion: region,
    })),
  };
  const response = (await probers.get(region)!(event, context())) as { batchItemFailures: unknown[] };
  expect(response.batchItemFailures).toEqual([]);
  await sqs.client(region).send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
  return messages.length;
}

/** New stream records since the last read, in the Lambda event shape. */
async function readStream(): Promise<DynamoDBStreamEvent> {
  const records: _Record[] = [];
  for (let i = 0; i < 10 && iterator; i++) {
    const out = await streams.send(new GetRecordsCommand({ ShardIterator: iterator }));
    iterator = out.NextShardIterator;
    records.push(...(out.Records ?? []));
    if (!out.Records?.length) break;
  }
  return { Records: records.map((r) => ({ ...r, eventSourceARN: 'arn:aws:dynamodb:us-east-1:123456789012:table/pagerless-results/stream/x' })) as never };
}

let minute = Date.UTC(2026, 10, 22, 4, 1, 0);
/** One simulated minute: schedule, probe in every region, evaluate the stream. Returns the stream batch. */
async function runMinute(): Promise<DynamoDBStreamEvent> {
  await scheduler({ time: new Date(minute).toISOString() }, context());
  minute += 60_000;
  for (const r of REGIONS) expect(await runProber(r)).toBe(1);
  const batch = await readStream();
  expect(batch.Records.filter((r) => r.eventName === 'INSERT')).toHaveLength(REGIONS.length); // one item per prober batch
  const response = (await evaluator(batch, context())) as { batchItemFailures: unknown[] };
  expect(response.batchItemFailures).toEqual([]);
  return batch;
}

const events = (name: string) => receiver.received.filter((r) => r.path === '/alerts' && r.json?.event === name);

/** An API Gateway HTTP API (payload 2.0) request to the status function. */
async function get(path: string): Promise<{ statusCode: number; body: string }> {
  const [rawPath, rawQueryString = ''] = path.split('?');
  const event = { version: '2.0', routeKey: `GET ${rawPath}`, rawPath, rawQueryString, headers: {}, isBase64Encoded: false, requestContext: { http: { method: 'GET', path: rawPath } } };
  return (await status(event, context())) as { statusCode: number; body: string };
}

describe('the pipeline on emulators', () => {
  it('opens one incident when 2 of 3 regions are down, none for 1 of 3, never twice on redelivery, and resolves once', async () => {
    await runMinute();
    expect(receiver.received.filter((r) => r.path === '/alerts')).toEqual([]);

    down.add('eu-west-1');
    await runMinute();
    expect(events('incident.opened')).toEqual([]); // 1 of 3: below the quorum

    down.add('ap-southeast-2');
    const batch = await runMinute();
    expect(events('incident.opened')).toHaveLength(1);
    const incident = events('incident.opened')[0]!.json.incident;
    expect(incident).toMatchObject({ check: `shop/${CHECK_NAME}`, regions: { 'us-east-1': 'up', 'eu-west-1': 'down', 'ap-southeast-2': 'down' }, reason: 'status 503 does not match 2xx' });
    const opened = events('incident.opened')[0]!;
    expect(opened.headers['x-pagerless-signature']).toBe(`sha256=${createHmac('sha256', 'pipeline-secret').update(opened.raw).digest('hex')}`);
    // The status function reads the same state: 503 with the failing check; /api/checks has every region.
    expect(await get('/status')).toMatchObject({ statusCode: 503, body: `shop/${CHECK_NAME}: status 503 does not match 2xx\n` });
    const checks = JSON.parse((await get('/api/checks')).body).checks;
    expect(checks[0]).toMatchObject({ check: `shop/${CHECK_NAME}`, state: 'down' });
    expect(Object.keys(checks[0].regions).sort()).toEqual([...REGIONS].sort());
    expect(await get('/health')).toMatchObject({ statusCode: 200, body: 'Checks running\n' });

    // The stream delivers the same batch again (a retry after a timeout): nothing new is sent.
    await evaluator(batch, context());
    await evaluator(batch, context());
    expect(events('incident.opened')).toHaveLength(1);

    // Still down next minute: no new notification either.
    await runMinute();
    expect(events('incident.opened')).toHaveLength(1);

    down.clear();
    const recovered = await runMinute();
    expect(events('incident.resolved')).toHaveLength(1);
    expect(events('incident.resolved')[0]!.json.incident).toMatchObject({ id: incident.id, resolvedAt: expect.any(String), durationSeconds: expect.any(Number) });
    await evaluator(recovered, context());
    expect(events('incident.resolved')).toHaveLength(1);
    expect(await get('/status')).toMatchObject({ statusCode: 200, body: 'OK\n' });
    expect(events('incident.opened')).toHaveLength(1);
  });

  it("delivers what a failing channel missed through the scheduler's retries, in order, once each", async () => {
    // The flaky channel answered 500 to the opening and the resolution above; both wait in the outbox.
    expect(flakyGot).toEqual([]);
    flakyUp = true;
    for (let i = 0; i < 30 && flakyGot.length < 2; i++) {
      await scheduler({ time: new Date(minute).toISOString() }, context());
      if (flakyGot.length < 2) await new Promise((r) => setTimeout(r, 1_000));
    }
    const opened = events('incident.opened')[0]!.json.incident;
    expect(flakyGot).toEqual([{ event: 'incident.opened', id: opened.id }, { event: 'incident.resolved', id: opened.id }]);
    await scheduler({ time: new Date(minute).toISOString() }, context());
    expect(flakyGot).toHaveLength(2);
  }, 60_000);

  it('sends the summary digest from the scheduler once per period, also when a minute is scheduled twice', async () => {
    // Minutes 04:01 to 04:0x ended no 1 h period: no digest yet.
    expect(receiver.received.filter((r) => r.path === '/digest')).toEqual([]);
    const nextHour = Date.UTC(2026, 10, 22, 5, 0, 0);
    await scheduler({ time: new Date(nextHour).toISOString() }, context());
    await scheduler({ time: new Date(nextHour).toISOString() }, context()); // EventBridge delivers at least once
    await scheduler({ time: new Date(nextHour + 60_000).toISOString() }, context());
    const digests = receiver.received.filter((r) => r.path === '/digest');
    expect(digests).toHaveLength(1);
    expect(digests[0]!.json).toMatchObject({ event: 'summary', summary: { checks: 1, up: 1, down: 0, periodSeconds: 3600 } });
  });

  it('replays a stream batch the evaluator gave up on from the Results items it carried, once', async () => {
    // Minutes scheduled above without probers left batches queued: run them (all up) and apply them.
    for (const r of REGIONS) while ((await runProber(r)) > 0);
    expect((await evaluator(await readStream(), context()) as { batchItemFailures: unknown[] }).batchItemFailures).toEqual([]);
    const openedBefore = events('incident.opened').length;
    down.add('eu-west-1');
    down.add('ap-southeast-2');
    const first = new Date();
    await scheduler({ time: new Date(minute).toISOString() }, context());
    minute += 60_000;
    for (const r of REGIONS) expect(await runProber(r)).toBe(1);
    const lost = await readStream(); // every retry of this batch failed: the evaluator never applied it
    const last = new Date();
    expect(lost.Records.filter((r) => r.eventName === 'INSERT').length).toBeGreaterThanOrEqual(REGIONS.length);
    expect(events('incident.opened')).toHaveLength(openedBefore);
    // What Lambda sends the on-failure destination: the batch's coordinates, not its records.
    await sqs.client('us-east-1').send(new SendMessageCommand({
      QueueUrl: evaluatorDlq,
      MessageBody: JSON.stringify({
        requestContext: { requestId: 'r-1', functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:evaluator', condition: 'RetryAttemptsExhausted', approximateInvokeCount: 4 },
        responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
        version: '1.0',
        timestamp: new Date().toISOString(),
        DDBStreamBatchInfo: {
          shardId: 'shardId-00000001', startSequenceNumber: '100', endSequenceNumber: '200',
          approximateArrivalOfFirstRecord: first.toISOString().replace(/\.\d+Z$/, 'Z'), approximateArrivalOfLastRecord: last.toISOString().replace(/\.\d+Z$/, 'Z'),
          batchSize: lost.Records.length, streamArn: 'arn:aws:dynamodb:us-east-1:123456789012:table/pagerless-results/stream/x',
        },
      }),
    }));
    // The next minute's scheduler replays it: the outage the lost batch showed opens its incident.
    await scheduler({ time: new Date(minute).toISOString() }, context());
    expect(events('incident.opened')).toHaveLength(openedBefore + 1);
    const left = await sqs.client('us-east-1').send(new ReceiveMessageCommand({ QueueUrl: evaluatorDlq, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, VisibilityTimeout: 0 }));
    expect(left.Messages ?? []).toEqual([]);
    // Another minute replays nothing more and opens nothing twice.
    await scheduler({ time: new Date(minute + 60_000).toISOString() }, context());
    expect(events('incident.opened')).toHaveLength(openedBefore + 1);
    down.clear();
  }, 60_000);
});
