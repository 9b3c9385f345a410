/**
 * The local HTTP server: node:http in front of the shared routes. A request is routed and
 * authorized from its head before its body is read; slow or idle clients are cut off; errors never
 * reach the client raw, and no log line carries a ping token.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loggablePath, MAX_BODY_BYTES, type ApiBody, type ApiResponse, type Router } from '../../http/routes.ts';
import type { Logger } from '../../engine/effects.ts';

/** How long a client may take and how many may be connected; each limit has a production default. */
export interface ServerLimits {
  /**
   * Time to send the request line and the headers.
   * @default 5_000
   */
  readonly headersTimeoutMs?: number;
  /**
   * Time to send the body, from the end of the headers; later, the request gets 408.
   * @default 5_000
   */
  readonly bodyTimeoutMs?: number;
  /**
   * Open connections at most; past it, new ones are closed at once (a load balancer sees a failure, never a false 200).
   * @default 1_000
   */
  readonly maxConnections?: number;
  /**
   * A connection with no traffic either way for this long is closed (a client that stops reading a response).
   * @default 30_000
   */
  readonly idleTimeoutMs?: number;
}

/** The limits `pagerless run` serves with. */
export const SERVER_LIMITS = { headersTimeoutMs: 5_000, bodyTimeoutMs: 5_000, maxConnections: 1_000, idleTimeoutMs: 30_000 } as const;

const KEEP_ALIVE_MS = 5_000;
const DROP_WARNING_EVERY_MS = 60_000;

/**
 * Serve the routes on `host:port` (loopback by default). Each request is admitted from its head
 * (path, method, token) before its body is read; slow clients are cut off by the `limits`.
 * @example const { port, close } = await startServer(createRouter(deps), { port: 8080, log })
 */
export async function startServer(
  route: Router,
  options: { port: number; host?: string; log: Logger; limits?: ServerLimits },
): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const { log } = options;
  const headersTimeoutMs = options.limits?.headersTimeoutMs ?? SERVER_LIMITS.headersTimeoutMs;
  const bodyTimeoutMs = options.limits?.bodyTimeoutMs ?? SERVER_LIMITS.bodyTimeoutMs;
  const server = createServer(
    {
      headersTimeout: headersTimeoutMs,
      // A backstop behind the body deadline below, which answers first and says why.
      requestTimeout: headersTimeoutMs + bodyTimeoutMs + 1_000,
      // Node checks the two timeouts above every 30 s by default: far too coarse for 5 s limits.
      connectionsCheckingInterval: 1_000,
      keepAliveTimeout: KEEP_ALIVE_MS,
    },
  );
  const serve = async (req: IncomingMessage, res: ServerResponse, expectsContinue: boolean) => {
    const target = splitTarget(req.url ?? '/');
    const method = req.method ?? 'GET';
    const logged = () => ({ method, path: loggablePath(target?.path ?? req.url ?? '') });
    let response: ApiResponse;
    try {
      const headers: Record<string, string | undefined> = {};
      for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(', ') : v;
      const admission = target
        ? route.admit({ method, path: target.path, query: new URLSearchParams(target.query), headers })
        : { answer: plain(400, 'bad request target: use a path such as /status') };
      if ('answer' in admission) {
        response = admission.answer;
      } else {
        // A client that asked first (`Expect: 100-continue`) sends its body only once admitted.
        if (admission.readsBody && expectsContinue) res.writeContinue();
        const body = admission.readsBody ? await readBody(req, bodyTimeoutMs) : { text: '', tooLarge: false };
        if (body === 'aborted') {
          log.debug?.('client closed the connection before sending the whole request', logged());
          return;
        }
        response = body === 'timeout' ? plain(408, `request body not received within ${bodyTimeoutMs / 1000}s`) : await admission.respond(body);
      }
    } catch (err) {
      log.error('request failed', { ...logged(), error: (err as Error).stack ?? String(err) });
      response = plain(500, 'internal error (see the server log)');
    }
    if (req.socket.destroyed) {
      log.debug?.('client closed the connection before the response', logged());
      return;
    }
    // Answered before the whole body arrived (401, 413, 408...): do not wait for the rest of it.
    const unread = !req.complete && (req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0);
    const close = unread ? { connection: 'close' } : {};
    res.writeHead(response.status, { ...response.headers, ...close, 'content-length': Buffer.byteLength(response.body) });
    res.end(method === 'HEAD' ? undefined : response.body);
  };
  const handle = (expectsContinue: boolean) => (req: IncomingMessage, res: ServerResponse) =>
    void serve(req, res, expectsContinue).catch((err: unknown) => {
      log.error('could not answer a request', { method: req.method, error: String(err) });
      res.destroy();
    });
  server.on('request', handle(false));
  server.on('checkContinue', handle(true));
  server.maxConnections = options.limits?.maxConnections ?? SERVER_LIMITS.maxConnections;
  server.setTimeout(options.limits?.idleTimeoutMs ?? SERVER_LIMITS.idleTimeoutMs);
  let lastDropWarning = -Infinity;
  server.on('drop', () => {
    if (Date.now() - lastDropWarning < DROP_WARNING_EVERY_MS) return;
    lastDropWarning = Date.now();
    log.warn(`${server.maxConnections} connections open: refusing new ones until some close`);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    close: () => new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

const plain = (status: number, body: string): ApiResponse => ({ status, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: `${body}\n` });

/**
 * Path and query of a request target. The absolute form (`GET http://host/status`) is read as its
 * path; `new URL(target, base)` is not used, as it reads `//status` as a host and `/status/..` as `/`.
 * Undefined for the asterisk and authority forms, which no route serves.
 */
export function splitTarget(target: string): { path: string; query: string } | undefined {
  const origin = /^https?:\/\/[^/?#]*/i.exec(target)?.[0];
  let rest = origin ? target.slice(origin.length) : target;
  if (origin && !rest.startsWith('/')) rest = `/${rest}`;
  if (!rest.startsWith('/')) return undefined;
  const q = rest.indexOf('?');
  return q < 0 ? { path: rest, query: '' } : { path: rest.slice(0, q), query: rest.slice(q + 1) };
}

/** Read at most MAX_BODY_BYTES within the deadline; past the size, stop and report it (the route answers 413). */
function readBody(req: IncomingMessage, timeoutMs: number): Promise<ApiBody | 'timeout' | 'aborted'> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (result: ApiBody | 'timeout' | 'aborted') => {
      clearTimeout(timer);
      req.off('data', onData).off('end', onEnd).off('close', onAbort);
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) finish({ text: '', tooLarge: true });
      else chunks.push(chunk);
    };
    const onEnd = () => finish({ text: Buffer.concat(chunks).toString('utf8'), tooLarge: false });
    const onAbort = () => finish('aborted');
    const timer = setTimeout(() => finish('timeout'), timeoutMs);
    // 'close' before 'end' is a client that went away; its 'error' needs a listener, and says no more.
    req.on('data', onData).on('end', onEnd).on('close', onAbort).on('error', () => {});
  });
}
