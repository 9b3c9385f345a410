/** The local HTTP server: node:http in front of the shared routes. Errors never reach the client raw. */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MAX_BODY_BYTES, type ApiRequest, type ApiResponse } from '../../http/routes.ts';
import type { Logger } from '../../engine/effects.ts';

export async function startServer(
  route: (req: ApiRequest) => Promise<ApiResponse>,
  options: { port: number; host?: string; log: Logger },
): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    void (async () => {
      let response: ApiResponse;
      try {
        const url = new URL(req.url ?? '/', 'http://localhost');
        const { body, tooLarge } = await readBody(req);
        const headers: Record<string, string | undefined> = {};
        for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(', ') : v;
        response = await route({ method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers, body, bodyTooLarge: tooLarge });
      } catch (err) {
        options.log.error('request failed', { method: req.method, url: req.url, error: (err as Error).stack ?? String(err) });
        response = { status: 500, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'internal error (see the server log)\n' };
      }
      res.writeHead(response.status, { ...response.headers, 'content-length': Buffer.byteLength(response.body) });
      res.end(req.method === 'HEAD' ? undefined : response.body);
    })();
  });
  server.keepAliveTimeout = 5_000;
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

/** Read at most MAX_BODY_BYTES; past that, stop and report it (the route answers 413). */
function readBody(req: IncomingMessage): Promise<{ body: string; tooLarge: boolean }> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > MAX_BODY_BYTES) {
      req.resume();
      resolve({ body: '', tooLarge: true });
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        done = true;
        resolve({ body: '', tooLarge: true });
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!done) resolve({ body: Buffer.concat(chunks).toString('utf8'), tooLarge: false });
    });
    req.on('error', reject);
  });
}
