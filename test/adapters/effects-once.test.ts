/** A reaction runs at most once, even when recording its outcome fails; the stack's alert topic is a channel. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withAlertTopic } from '../../shared/adapters/aws/runtime.ts';
import { SqliteStore } from '../../shared/adapters/local/sqlite-store.ts';
import { parseConfig } from '../../shared/config/load.ts';
import { EffectExecutor } from '../../shared/engine/effects.ts';
import { systemClock } from '../../shared/ports.ts';
import type { TimelineEntry } from '../../shared/types.ts';

let calls = 0;
let url = '';
const server = createServer((req, res) => {
  calls++;
  req.resume();
  res.end('ok');
});
beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/restart`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

class FlakyTimeline extends SqliteStore {
  override async addTimeline(_e: TimelineEntry): Promise<void> {
    throw new Error('ProvisionedThroughputExceededException');
  }
}

describe('EffectExecutor', () => {
  it('settles a reaction before recording it, so a failing record never runs it twice', async () => {
    const config = parseConfig(`version: 1
reactions:
  restart: { type: webhook, url: "${url}" }
services:
  - name: web
    react: [restart]
    checks:
      - name: home
        tcp: { host: 127.0.0.1, port: 1 }
`, 'm.yaml', {});
    const store = new FlakyTimeline(':memory:');
    const errors: string[] = [];
    const log = { info: () => undefined, warn: () => undefined, error: (m: string) => void errors.push(m) };
    const executor = new EffectExecutor({ outbox: store, incidents: store, memos: store, config, clock: systemClock, log, print: () => undefined, baseDelayMs: 1 });
    await store.enqueue([{ kind: 'react', key: 'web/home:restart:1', reaction: 'restart', check: 'web/home', incident: null, decision: 'run', why: 'test', announceTo: [] }], Date.now());
    for (let i = 0; i < 5; i++) await executor.drain();
    expect(calls).toBe(1);
    expect(errors).toContain('could not record a reaction outcome');
    expect(await store.pendingCount()).toBe(0);
    store.close();
  });
});

describe('withAlertTopic', () => {
  it('adds the stack\'s topic as an sns channel of every check, once', () => {
    const config = parseConfig('version: 1\nservices:\n  - name: a\n    checks:\n      - name: b\n        tcp: { host: h, port: 1 }\n      - name: c\n        tcp: { host: h, port: 2 }\n', 'm.yaml', {});
    const arn = 'arn:aws:sns:us-east-1:123456789012:pagerless-alerts';
    const withTopic = withAlertTopic(config, arn);
    expect(withTopic.channels['pagerless-alerts']).toEqual({ id: 'pagerless-alerts', type: 'sns', spec: { type: 'sns', topicArn: arn } });
    expect(withTopic.checks.map((c) => c.alert)).toEqual([['pagerless-alerts'], ['pagerless-alerts']]);
    expect(withAlertTopic(withTopic, arn).checks[0]!.alert).toEqual(['pagerless-alerts']);
  });
});
