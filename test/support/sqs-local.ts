/** The SQS emulator (local-aws-sqs) in this process, on a free loopback port. */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { createSqsServer } from 'local-aws-sqs';

export async function startSqsLocal(): Promise<{ endpoint: string; client(region?: string): SQSClient; createQueue(name: string, region?: string): Promise<string>; stop(): Promise<void> }> {
  const server = (await createSqsServer({ port: 0, hostname: '127.0.0.1', emulateQueueCreationLifecycle: false })) as unknown as Server;
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clients = new Map<string, SQSClient>();
  const client = (region = 'us-east-1') => {
    let c = clients.get(region);
    if (!c) clients.set(region, (c = new SQSClient({ region, endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } })));
    return c;
  };
  return {
    endpoint,
    client,
    createQueue: async (name, region) => (await client(region).send(new CreateQueueCommand({ QueueName: name }))).QueueUrl!,
    stop: () => new Promise((resolve) => {
      for (const c of clients.values()) c.destroy();
      server.close(() => resolve());
      server.closeAllConnections?.();
    }),
  };
}
