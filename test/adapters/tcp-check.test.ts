/**
 * TCP checks against loopback servers started here: connect, refuse, banners, sent text, timeouts.
 */
import net, { type AddressInfo } from 'node:net';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { stringify } from 'yaml';
import { tcp } from '../../shared/checks/tcp.ts';
import type { ProbeContext } from '../../shared/checks/kind.ts';
import type { CompiledCheck } from '../../shared/config/compile.ts';
import { parseConfig } from '../../shared/config/load.ts';
import { runRound, type RoundContext } from '../../shared/engine/probe.ts';

interface TcpLoopback {
  port: number;
  /** Every byte each accepted connection sent, one string per connection. */
  received: string[];
  connections: number;
}

const servers: net.Server[] = [];
const sockets = new Set<net.Socket>();

/** Start a TCP server on 127.0.0.1; `onConnection` decides what it says. */
async function tcpServer(onConnection: (socket: net.Socket, received: () => string) => void = () => undefined): Promise<TcpLoopback> {
  const state: TcpLoopback = { port: 0, received: [], connections: 0 };
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    const index = state.received.push('') - 1;
    state.connections++;
    socket.on('data', (chunk: Buffer) => {
      state.received[index] += chunk.toString('utf8');
    });
    onConnection(socket, () => state.received[index]!);
  });
  servers.push(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  state.port = (server.address() as AddressInfo).port;
  return state;
}

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
});

function compile(check: Record<string, unknown>): CompiledCheck {
  const text = stringify({ version: 1, services: [{ name: 'db', checks: [{ name: 'port', timeout: '2s', ...check }] }] });
  const compiled = parseConfig(text, 'monitors.yaml', {}).checks[0];
  if (!compiled) throw new Error('no check compiled');
  return compiled;
}

const roundCtx: RoundContext = { region: 'local', now: () => Date.now(), lastPing: () => undefined, watchingSince: () => 0 };

function probeCtx(timeoutMs: number): ProbeContext {
  return { checkId: 'db/port', timeoutMs, now: () => Date.now(), lastPing: () => undefined, watchingSince: () => 0 };
}

describe('tcp check', () => {
  it('passes on an open port and reports the connect time', async () => {
    const server = await tcpServer();
    const check = compile({ tcp: { host: '127.0.0.1', port: server.port } });
    expect(check.kind).toBe('tcp');
    expect(check.target).toBe(`127.0.0.1:${server.port}`);
    const r = await runRound(check, roundCtx);
    expect(r.ok).toBe(true);
    expect(r.reason).toBe('ok');
    expect(r.attempts).toBe(1);
    expect(r.timings?.connect).toEqual(expect.any(Number));
    expect(r.timings?.total).toEqual(expect.any(Number));
    await vi.waitFor(() => expect(server.connections).toBe(1), { timeout: 2_000, interval: 10 });
  });

  it('fails with connection refused on a closed port', async () => {
    const port = await closedPort();
    const r = await runRound(compile({ tcp: { host: '127.0.0.1', port } }), roundCtx);
    expect(r.ok).toBe(false);
    expect(r.reason).toBe(`connection refused by 127.0.0.1:${port}`);
  });

  it('retries a refused port and says how many attempts it made', async () => {
    const port = await closedPort();
    const r = await runRound(compile({ tcp: { host: '127.0.0.1', port }, retries: 2 }), roundCtx);
    expect(r.ok).toBe(false);
    expect(r.attempts).toBe(3);
    expect(r.reason).toBe(`connection refused by 127.0.0.1:${port} (3 attempts)`);
  });

  it('passes when the banner matches expect', async () => {
    const server = await tcpServer((socket) => socket.write('SSH-2.0-OpenSSH_9.6\r\n'));
    const r = await runRound(compile({ tcp: { host: '127.0.0.1', port: server.port, expect: '^SSH-2\\.0-' } }), roundCtx);
    expect(r.ok).toBe(true);
    expect(r.reason).toBe('ok');
  });

  it('passes when the banner arrives in pieces', async () => {
    const server = await tcpServer((socket) => {
      socket.write('+PO');
      setTimeout(() => socket.write('NG\r\n'), 20);
    });
    const r = await runRound(compile({ tcp: { host: '127.0.0.1', port: server.port, expect: '^\\+PONG' } }), roundCtx);
    expect(r.ok).toBe(true);
  });

  it('fails with the banner it got when it does not match', async () => {
    const server = await tcpServer((socket) => socket.end('220 mail.example.com ESMTP ready\r\n'));
    const r = await runRound(compile({ tcp: { host: '127.0.0.1', port: server.port, expect: '^SSH-2\\.0-' } }), roundCtx);
    expect(r.ok).toBe(false);
    expect(r.reason).toBe('banner "220 mail.example.com ESMTP ready" does not match /^SSH-2\\.0-/');
  });

  it('sends its text once connected and matches the reply', async () => {
    const server = await tcpServer((socket, received) => {
      socket.on('data', () => {
        if (received().includes('PING\r\n')) socket.write('+PONG\r\n');
      });
    });
    const r = await runRound(compile({ tcp: { host: '127.0.0.1', port: server.port, send: 'PING\r\n', expect: '^\\+PONG' } }), roundCtx);
    expect(r.ok).toBe(true);
    expect(server.received).toEqual(['PING\r\n']);
  });

  it('delivers the sent text even when no reply is expected', async () => {
    const server = await tcpServer();
    const r = await runRound(compile({ tcp: { host: '127.0.0.1', port: server.port, send: 'QUIT\r\n' } }), roundCtx);
    expect(r.ok).toBe(true);
    await vi.waitFor(() => expect(server.received).toEqual(['QUIT\r\n']), { timeout: 2_000, interval: 10 });
  });

  it('times out when the server never sends the expected banner', async () => {
    const server = await tcpServer();
    const r = await tcp.probe!({ host: '127.0.0.1', port: server.port, expect: '^SSH-' }, probeCtx(300));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.reason).toBe(`timed out after 300ms waiting for the banner to 127.0.0.1:${server.port}`);
  });

  it('times out when the server sends something else and keeps the connection open', async () => {
    const server = await tcpServer((socket) => socket.write('220 hello\r\n'));
    const r = await runRound(compile({ tcp: { host: '127.0.0.1', port: server.port, expect: '^SSH-' }, timeout: '300ms' }), roundCtx);
    expect(r.ok).toBe(false);
    expect(r.reason).toMatch(/^timed out after 300ms waiting for the banner to 127\.0\.0\.1:\d+$/);
  });

  it('rejects expect.status on a tcp check at config time', () => {
    expect(() => compile({ tcp: { host: '127.0.0.1', port: 1 }, expect: { status: 200 } })).toThrow(/expect\.status applies to http checks only, not tcp/);
  });
});
