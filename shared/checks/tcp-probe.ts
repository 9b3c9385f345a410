/** TCP probes: resolve, connect within the timeout, optionally send a line and match the banner. */
import net from 'node:net';
import { systemResolver } from '../kit/resolver.ts';
import type { PhaseTimings } from '../types.ts';
import { describeNetworkError } from './errors.ts';
import type { ProbeAttempt, ProbeContext } from './kind.ts';

export function probeTcp(
  spec: { host: string; port: number; send?: string | undefined; expect?: string | undefined },
  ctx: Pick<ProbeContext, 'timeoutMs' | 'resolver'>,
): Promise<ProbeAttempt> {
  const { timeoutMs } = ctx;
  const start = performance.now();
  const elapsed = () => performance.now() - start;
  const where = `${spec.host}:${spec.port}`;
  return new Promise((resolve) => {
    let resolvedAt: number | undefined;
    let connectedAt: number | undefined;
    let banner = '';
    let socket: net.Socket | undefined;
    let done = false;
    const timings = (total: number): PhaseTimings => ({ ...(resolvedAt !== undefined ? { dns: resolvedAt } : {}), connect: connectedAt ?? total, total });
    const finish = (attempt: ProbeAttempt) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket?.destroy();
      resolve(attempt);
    };
    const timer = setTimeout(() => {
      const what = socket === undefined ? 'resolving DNS for' : connectedAt === undefined ? 'connecting to' : 'waiting for the banner to';
      finish({ ok: false, reason: `timed out after ${timeoutMs}ms ${what} ${where}`, latencyMs: elapsed() });
    }, timeoutMs);
    const connect = (address: string) => {
      if (done) return;
      const s = net.connect({ host: address, port: spec.port });
      socket = s;
      s.once('connect', () => {
        connectedAt = elapsed();
        if (spec.send !== undefined) s.write(spec.send);
        if (spec.expect === undefined) finish({ ok: true, latencyMs: connectedAt, timings: timings(connectedAt) });
      });
      s.on('data', (chunk: Buffer) => {
        banner += chunk.toString('utf8');
        if (spec.expect !== undefined && new RegExp(spec.expect).test(banner)) {
          const total = elapsed();
          finish({ ok: true, latencyMs: total, timings: timings(total) });
        } else if (banner.length > 64 * 1024) {
          finish({ ok: false, reason: `banner does not match /${spec.expect}/`, latencyMs: elapsed() });
        }
      });
      s.once('end', () => {
        if (spec.expect !== undefined) {
          const got = banner.trim().slice(0, 80);
          finish({ ok: false, reason: `banner ${JSON.stringify(got)} does not match /${spec.expect}/`, latencyMs: elapsed() });
        }
      });
      s.once('error', (err) => finish({ ok: false, reason: describeNetworkError(err, where), latencyMs: elapsed() }));
    };
    if (net.isIP(spec.host) !== 0) {
      connect(spec.host);
    } else {
      (ctx.resolver ?? systemResolver).resolve(spec.host).then(
        (found) => {
          resolvedAt = elapsed();
          connect(found.address);
        },
        (err: unknown) => finish({ ok: false, reason: describeNetworkError(err, where), latencyMs: elapsed() }),
      );
    }
  });
}
