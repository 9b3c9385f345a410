/**
 * End-to-end helpers: the CLI as a child process, a loopback target whose behaviour a test
 * switches, and a loopback webhook receiver that records what it got.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');
export const CLI = join(ROOT, 'bin/pagerless.js');

export type TargetMode = 'ok' | 'error' | 'slow' | 'hang' | 'reset';

/** An HTTP target on 127.0.0.1 whose answer the test switches. */
export async function startTarget(): Promise<{ url: string; port: number; setMode(m: TargetMode): void; hits(): number; close(): Promise<void> }> {
  let mode: TargetMode = 'ok';
  let hits = 0;
  const server = createServer((req, res) => {
    hits++;
    switch (mode) {
      case 'ok':
        res.end('all good');
        return;
      case 'error':
        res.statusCode = 500;
        res.end('boom');
        return;
      case 'slow':
        setTimeout(() => res.end('late'), 3_000).unref();
        return;
      case 'hang':
        setTimeout(() => res.end('very late'), 60_000).unref();
        return;
      case 'reset':
        req.socket.destroy();
        return;
    }
  });
  const port = await listen(server);
  return {
    url: `http://127.0.0.1:${port}/health`,
    port,
    setMode: (m) => {
      mode = m;
    },
    hits: () => hits,
    close: () => close(server),
  };
}

export interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  raw: string;
  json: any;
}

/** A webhook receiver on 127.0.0.1 that records every request. */
export async function startReceiver(): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let json: unknown;
      try {
        json = JSON.parse(raw);
      } catch {
        json = undefined;
      }
      received.push({ path: req.url ?? '/', headers: req.headers, raw, json });
      res.end('ok');
    });
  });
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}`, received, close: () => close(server) };
}

export function listen(server: Server): Promise<number> {
  return new Promise((res) => server.listen(0, '127.0.0.1', () => res((server.address() as AddressInfo).port)));
}

export function close(server: Server): Promise<void> {
  return new Promise((res) => {
    server.close(() => res());
    server.closeAllConnections();
  });
}

/** A port that was free a moment ago. */
export async function freePort(): Promise<number> {
  const s = createServer();
  const port = await listen(s);
  await close(s);
  return port;
}

export function tempDir(prefix = 'pagerless-e2e-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function writeConfig(dir: string, yaml: string, name = 'monitors.yaml'): string {
  const file = join(dir, name);
  writeFileSync(file, yaml);
  return file;
}

/** `pagerless run` as a child process; its stdout and stderr are collected. */
export class RunningEngine {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(args: string[], env: Record<string, string> = {}) {
    this.child = spawn(process.execPath, [CLI, 'run', ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (d: Buffer) => (this.stdout += d.toString()));
    this.child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((res) => this.child.once('exit', (code, signal) => res({ code, signal })));
  }

  kill(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }
}

/** Run a CLI command to completion (asynchronously: loopback servers in this process keep answering). */
export function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

/** Poll until `probe` returns a truthy value; bounded by `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => T | Promise<T>, timeoutMs = 20_000, everyMs = 100): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
}

export async function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Headers }> {
  const res = await fetch(url, { headers });
  return { status: res.status, body: await res.text(), headers: res.headers };
}

export async function post(url: string, body: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
  return { status: res.status, body: await res.text() };
}

/** Wait until the engine answers /health with anything (it is listening). */
export async function waitUp(port: number): Promise<void> {
  await waitFor(`the engine on port ${port}`, async () => (await fetch(`http://127.0.0.1:${port}/health`)).status > 0);
}
