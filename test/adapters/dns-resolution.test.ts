/**
 * How probes resolve names, against a real DNS server on loopback: dnsmasq (Debian `dnsmasq-base`)
 * answers the zone test.local and forwards slow.test.local and servfail.test.local to a small UDP
 * responder written here, which answers slow names after 3 s. What a user sees: checks on healthy
 * names finish while slow names are still unanswered; NXDOMAIN, no address, SERVFAIL and REFUSED
 * read as such; the hosts file and localhost still work; and the old getaddrinfo path would wait.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { stringify } from 'yaml';
import { DnsError, NameResolver } from '../../shared/kit/resolver.ts';
import { parseConfig } from '../../shared/config/load.ts';
import { runRound, type RoundContext } from '../../shared/engine/probe.ts';
import type { ProbeResult } from '../../shared/types.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const DNSMASQ = '/usr/sbin/dnsmasq';
const SLOW_MS = 3_000;

/** The name in a DNS query (labels from offset 12) and where the question ends. */
function readQuestion(msg: Buffer): { name: string; type: number; end: number } {
  const labels: string[] = [];
  let at = 12;
  while (msg[at]! !== 0) {
    const len = msg[at]!;
    labels.push(msg.subarray(at + 1, at + 1 + len).toString('ascii'));
    at += 1 + len;
  }
  at += 1;
  return { name: labels.join('.').toLowerCase(), type: msg.readUInt16BE(at), end: at + 4 };
}

/** A reply to `query` with one A record (TTL 0), or no record, with the given rcode. */
function reply(query: Buffer, rcode: number, a?: string): Buffer {
  const { type, end } = readQuestion(query);
  const header = Buffer.alloc(12);
  query.copy(header, 0, 0, 2); // id
  header.writeUInt16BE(0x8180 | rcode, 2); // response, recursion desired and available
  header.writeUInt16BE(1, 4);
  const answer = a && type === 1 && rcode === 0
    ? Buffer.concat([Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4]), Buffer.from(a.split('.').map(Number))])
    : Buffer.alloc(0);
  header.writeUInt16BE(answer.length ? 1 : 0, 6);
  return Buffer.concat([header, query.subarray(12, end), answer]);
}

interface Upstream {
  socket: UdpSocket;
  port: number;
  /** Names asked for (A queries), in order. */
  asked: string[];
  /** Slow names answered so far (a name counts once, however many times its query was sent). */
  slowAnswered: number;
}

/** The upstream for slow.test.local (A 127.0.0.1 after SLOW_MS) and servfail.test.local (SERVFAIL). */
async function startUpstream(): Promise<Upstream> {
  const socket = createSocket('udp4');
  const up: Upstream = { socket, port: 0, asked: [], slowAnswered: 0 };
  const firstAsked = new Map<string, number>();
  const answered = new Set<string>();
  socket.on('message', (msg, peer) => {
    const q = readQuestion(msg);
    const send = (b: Buffer) => socket.send(b, peer.port, peer.address);
    if (q.type === 1) up.asked.push(q.name);
    if (q.name.endsWith('servfail.test.local')) return send(reply(msg, 2));
    if (q.type !== 1) return send(reply(msg, 0)); // no AAAA: NOERROR, no record
    // Like a recursive resolver waiting on a slow authority: the name, and every retransmission of
    // its query, is answered SLOW_MS after the first query for it arrived.
    const first = firstAsked.get(q.name) ?? Date.now();
    firstAsked.set(q.name, first);
    timers.add(setTimeout(() => {
      if (!answered.has(q.name)) up.slowAnswered++;
      answered.add(q.name);
      send(reply(msg, 0, '127.0.0.1'));
    }, first + SLOW_MS - Date.now()));
  });
  await new Promise<void>((res) => socket.bind(0, '127.0.0.1', () => res()));
  up.port = socket.address().port;
  return up;
}

async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((res) => s.bind(0, '127.0.0.1', () => res()));
  const { port } = s.address();
  await new Promise<void>((res) => s.close(() => res()));
  return port;
}

const timers = new Set<NodeJS.Timeout>();
const FAST = Array.from({ length: 20 }, (_, i) => `fast${i}.test.local`);
let dir: string;
let dnsmasq: ChildProcess;
let dnsPort: number;
let upstream: Upstream;
let web: Server;
let webPort: number;
let banner: TcpServer;
let bannerPort: number;
let resolver: NameResolver;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pagerless-dns-'));
  upstream = await startUpstream();
  dnsPort = await freeUdpPort();
  writeFileSync(join(dir, 'dnsmasq.conf'), [
    `port=${dnsPort}`,
    'listen-address=127.0.0.1',
    'bind-interfaces',
    'no-resolv',
    'no-hosts',
    'local=/test.local/', // unknown names in the zone: NXDOMAIN
    `server=/slow.test.local/127.0.0.1#${upstream.port}`,
    `server=/servfail.test.local/127.0.0.1#${upstream.port}`,
    'host-record=web.test.local,127.0.0.1',
    'host-record=v6.test.local,::1',
    'cname=www.test.local,web.test.local',
    'txt-record=text.test.local,"no address here"',
    ...FAST.map((name) => `host-record=${name},127.0.0.1`),
    'log-facility=-',
    '',
  ].join('\n'));
  const asRoot = process.getuid?.() === 0 ? ['--user=root'] : [];
  dnsmasq = spawn(DNSMASQ, ['--keep-in-foreground', `--conf-file=${join(dir, 'dnsmasq.conf')}`, '--pid-file=', ...asRoot], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  dnsmasq.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  // c-ares' own timeouts and retries, as in production: only the servers and the hosts file differ.
  resolver = new NameResolver({ servers: [`127.0.0.1:${dnsPort}`], hostsFile: join(dir, 'hosts') });
  writeFileSync(join(dir, 'hosts'), '# test hosts file\n127.0.0.1   Hosted.Example  alias.example # trailing comment\n::1 v6host.example\n');
  // Ready when it answers (~0.1 s).
  await vi.waitFor(async () => {
    if (dnsmasq.exitCode !== null) throw new Error(`dnsmasq exited: ${stderr}`);
    expect((await new NameResolver({ servers: [`127.0.0.1:${dnsPort}`], timeoutMs: 200, tries: 1 }).resolve('web.test.local')).address).toBe('127.0.0.1');
  }, { timeout: 10_000, interval: 100 });

  web = createServer((_req, res) => res.end('cluster: green'));
  await new Promise<void>((res) => web.listen(0, '127.0.0.1', () => res()));
  webPort = (web.address() as AddressInfo).port;
  banner = createTcpServer((socket) => socket.end('SSH-2.0-test\r\n'));
  await new Promise<void>((res) => banner.listen(0, '127.0.0.1', () => res()));
  bannerPort = (banner.address() as AddressInfo).port;
});

afterAll(async () => {
  for (const t of timers) clearTimeout(t);
  dnsmasq?.kill();
  upstream?.socket.close();
  await new Promise<void>((res) => (web ? web.close(() => res()) : res()));
  await new Promise<void>((res) => (banner ? banner.close(() => res()) : res()));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function compile(check: Record<string, unknown>) {
  const text = stringify({ version: 1, services: [{ name: 'web', checks: [{ name: 'probe', timeout: '3s', ...check }] }] });
  return parseConfig(text, 'monitors.yaml', {}).checks[0]!;
}

const system: RoundContext = { region: 'local', now: () => Date.now(), lastPing: () => undefined, watchingSince: () => 0 };

/** A round with the resolver pointed at dnsmasq (production passes none: systemResolver). */
function round(check: Record<string, unknown>): Promise<ProbeResult> {
  return runRound(compile(check), { ...system, resolver });
}

describe('names resolved by a real DNS server', () => {
  it('probes a name through DNS and times the dns phase, before connect', async () => {
    const r = await round({ http: { url: `http://web.test.local:${webPort}/` }, expect: { body: 'green' } });
    expect(r.reason).toBe('status 200');
    expect(r.ok).toBe(true);
    expect(r.timings!.dns).toEqual(expect.any(Number));
    expect(r.timings!.dns!).toBeLessThanOrEqual(r.timings!.connect!);
  });

  it('follows a CNAME to its address', async () => {
    expect(await resolver.resolve('www.test.local')).toEqual({ address: '127.0.0.1', family: 4, source: 'dns' });
  });

  it('takes the IPv6 address of a name that has no IPv4 one', async () => {
    expect(await resolver.resolve('v6.test.local')).toEqual({ address: '::1', family: 6, source: 'dns' });
  });

  it('says NXDOMAIN, no address, SERVFAIL and REFUSED in words', async () => {
    const reasons = await Promise.all(['nx.test.local', 'text.test.local', 'any.servfail.test.local', 'outside.example.org'].map(async (host) =>
      (await round({ http: { url: `http://${host}:${webPort}/` } })).reason));
    expect(reasons).toEqual([
      'DNS: nx.test.local does not exist (NXDOMAIN)',
      'DNS: text.test.local has no IPv4 or IPv6 address',
      'DNS: the resolver failed for any.servfail.test.local (SERVFAIL)',
      'DNS: the resolver refused to answer for outside.example.org (REFUSED)',
    ]);
    await expect(resolver.resolve('nx.test.local')).rejects.toBeInstanceOf(DnsError);
  });

  it('tcp checks resolve the same way, and time the dns phase', async () => {
    const ok = await round({ tcp: { host: 'web.test.local', port: bannerPort, expect: '^SSH-2\\.0-' } });
    expect(ok.ok).toBe(true);
    expect(ok.timings!.dns).toEqual(expect.any(Number));
    const nx = await round({ tcp: { host: 'nx.test.local', port: bannerPort } });
    expect(nx.reason).toBe('DNS: nx.test.local does not exist (NXDOMAIN)');
  });

  it('the check timeout covers DNS: a name answered too late fails at "resolving DNS"', async () => {
    const http = await round({ http: { url: `http://late1.slow.test.local:${webPort}/` }, timeout: '300ms' });
    expect(http.reason).toBe(`timed out after 300ms resolving DNS (late1.slow.test.local:${webPort})`);
    const tcp = await round({ tcp: { host: 'late2.slow.test.local', port: bannerPort }, timeout: '300ms' });
    expect(tcp.reason).toBe(`timed out after 300ms resolving DNS for late2.slow.test.local:${bannerPort}`);
  });
});

describe('slow names do not hold other checks', () => {
  it('with 6 slow names in flight, 20 checks on other names finish before any slow one is answered', async () => {
    const finished: string[] = [];
    const answeredWhenFastDone: number[] = [];
    const slow = Array.from({ length: 6 }, (_, i) => `s${i}.slow.test.local`);
    const slowRounds = slow.map((host) => round({ http: { url: `http://${host}:${webPort}/` }, timeout: '10s' }).then((r) => {
      finished.push(host);
      return r;
    }));
    // Every slow query has reached the upstream (and waits there) before the fast checks start.
    await vi.waitFor(() => expect(slow.every((n) => upstream.asked.includes(n))).toBe(true), { timeout: 5_000, interval: 10 });
    const fastRounds = FAST.map((host) => round({ http: { url: `http://${host}:${webPort}/` } }).then((r) => {
      finished.push(host);
      answeredWhenFastDone.push(upstream.slowAnswered);
      return r;
    }));
    const fast = await Promise.all(fastRounds);
    expect(fast.map((r) => r.reason)).toEqual(FAST.map(() => 'status 200'));
    expect(answeredWhenFastDone).toEqual(FAST.map(() => 0));
    // The slow ones were held only by their own answers: they pass once those come.
    const late = await Promise.all(slowRounds);
    expect(late.map((r) => r.reason)).toEqual(slow.map(() => 'status 200'));
    expect(finished.slice(0, FAST.length).sort()).toEqual([...FAST].sort());
  });

  it('the old path would have waited: getaddrinfo queues behind a busy thread pool, the resolver does not', async () => {
    // A child with the default 4 threads, all 4 blocked opening FIFOs that have no writer yet.
    const script = `
      import { execFileSync } from 'node:child_process';
      import { lookup } from 'node:dns/promises';
      import { constants, openSync, promises as fsp } from 'node:fs';
      const { NameResolver } = await import(${JSON.stringify(join(ROOT, 'shared/kit/resolver.ts'))});
      const { probeHttp } = await import(${JSON.stringify(join(ROOT, 'shared/checks/http-probe.ts'))});
      const fifos = [0, 1, 2, 3].map((i) => ${JSON.stringify(dir)} + '/fifo' + i);
      execFileSync('mkfifo', fifos);
      const blocked = fifos.map((f) => fsp.open(f, 'r'));
      await new Promise((r) => setTimeout(r, 100));
      const events = [];
      const old = lookup('localhost').then(() => events.push('getaddrinfo answered'));
      const resolver = new NameResolver({ servers: ['127.0.0.1:${dnsPort}'], timeoutMs: 2000, tries: 1 });
      const probe = await probeHttp({ url: 'http://web.test.local:${webPort}/', method: 'GET', redirects: 0, insecure: false }, { timeoutMs: 5000, resolver, bodyPattern: /green/ });
      events.push('probe ' + (probe.ok ? 'ok ' + probe.status + ' matched=' + probe.bodyMatched : probe.reason));
      await new Promise((r) => setTimeout(r, 300));
      events.push('releasing the pool');
      for (const f of fifos) openSync(f, constants.O_WRONLY | constants.O_NONBLOCK);
      await old;
      for (const b of blocked) await (await b).close();
      console.log(JSON.stringify(events));
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, env: { ...process.env, UV_THREADPOOL_SIZE: '4' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((res) => child.once('exit', res));
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(JSON.parse(out)).toEqual(['probe ok 200 matched=true', 'releasing the pool', 'getaddrinfo answered']);
  });
});

describe('the hosts file and localhost', () => {
  it('uses hosts-file entries (any case, aliases, comments) before DNS, IPv4 first', async () => {
    expect(await resolver.resolve('hosted.example')).toEqual({ address: '127.0.0.1', family: 4, source: 'hosts' });
    expect(await resolver.resolve('ALIAS.example.')).toEqual({ address: '127.0.0.1', family: 4, source: 'hosts' });
    expect(await resolver.resolve('v6host.example')).toEqual({ address: '::1', family: 6, source: 'hosts' });
    const r = await round({ http: { url: `http://hosted.example:${webPort}/` } });
    expect(r.reason).toBe('status 200');
  });

  it('resolves localhost to the loopback even when the hosts file does not list it', async () => {
    expect(await resolver.resolve('localhost')).toEqual({ address: '127.0.0.1', family: 4, source: 'hosts' });
    const r = await round({ http: { url: `http://localhost:${webPort}/` } });
    expect(r.reason).toBe('status 200');
  });

  it('the default resolver reads /etc/hosts and the system servers', async () => {
    const r = await runRound(compile({ http: { url: `http://localhost:${webPort}/` } }), system);
    expect(r.reason).toBe('status 200');
  });
});
