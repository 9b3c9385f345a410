/** TCP probes: connect within the timeout, optionally send a line and match the banner. */
import net from 'node:net';
import { describeNetworkError } from './errors.ts';
import type { ProbeAttempt } from './kind.ts';

export function probeTcp(
  spec: { host: string; port: number; send?: string | undefined; expect?: string | undefined },
  timeoutMs: number,
): Promise<ProbeAttempt> {
  const start = performance.now();
  const elapsed = () => performance.now() - start;
  return new Promise((resolve) => {
    let connectedAt: number | undefined;
    let banner = '';
    const socket = net.connect({ host: spec.host, port: spec.port });
    const finish = (attempt: ProbeAttempt) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(attempt);
    };
    const timer = setTimeout(() => {
      const what = connectedAt === undefined ? 'connecting' : 'waiting for the banner';
      finish({ ok: false, reason: `timed out after ${timeoutMs}ms ${what} to ${spec.host}:${spec.port}`, latencyMs: elapsed() });
    }, timeoutMs);
    socket.once('connect', () => {
      connectedAt = elapsed();
      if (spec.send !== undefined) socket.write(spec.send);
      if (spec.expect === undefined) finish({ ok: true, latencyMs: connectedAt, timings: { connect: connectedAt, total: connectedAt } });
    });
    socket.on('data', (chunk: Buffer) => {
      banner += chunk.toString('utf8');
      if (spec.expect !== undefined && new RegExp(spec.expect).test(banner)) {
        const total = elapsed();
        finish({ ok: true, latencyMs: total, timings: { connect: connectedAt ?? total, total } });
      } else if (banner.length > 64 * 1024) {
        finish({ ok: false, reason: `banner does not match /${spec.expect}/`, latencyMs: elapsed() });
      }
    });
    socket.once('end', () => {
      if (spec.expect !== undefined) {
        const got = banner.trim().slice(0, 80);
        finish({ ok: false, reason: `banner ${JSON.stringify(got)} does not match /${spec.expect}/`, latencyMs: elapsed() });
      }
    });
    socket.once('error', (err) => finish({ ok: false, reason: describeNetworkError(err, `${spec.host}:${spec.port}`), latencyMs: elapsed() }));
  });
}
