/**
 * HTTP over a bare TCP socket, for requests no HTTP client sends as written: `//status`,
 * `/status/%2e%2e` (fetch resolves dot segments), absolute-form targets, bodies that trickle or stop.
 */
import { connect, type Socket } from 'node:net';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface RawConnection {
  socket: Socket;
  write(data: string | Buffer): void;
  /** The first final response (1xx skipped); status 0 when the server closed without one. */
  response: Promise<RawResponse>;
  /** Resolves when the server (or the test) closed the connection. */
  closed: Promise<void>;
}

/** Open a connection to 127.0.0.1:`port` and write `head` (CRLFs as written). */
export function openRaw(port: number, head = ''): RawConnection {
  const socket = connect(port, '127.0.0.1');
  let buffer = Buffer.alloc(0);
  let settle: (r: RawResponse) => void = () => {};
  const response = new Promise<RawResponse>((res) => (settle = res));
  const closed = new Promise<void>((res) => socket.once('close', () => res()));
  const parse = (final: boolean) => {
    for (;;) {
      const end = buffer.indexOf('\r\n\r\n');
      if (end < 0) break;
      const [statusLine, ...lines] = buffer.subarray(0, end).toString('latin1').split('\r\n');
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? '')?.[1] ?? 0);
      const headers: Record<string, string> = {};
      for (const l of lines) {
        const i = l.indexOf(':');
        headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
      }
      if (status >= 100 && status < 200) {
        buffer = buffer.subarray(end + 4);
        continue;
      }
      const length = Number(headers['content-length'] ?? -1);
      const body = buffer.subarray(end + 4);
      if (length >= 0 && body.length < length && !final) return;
      settle({ status, headers, body: body.subarray(0, length >= 0 ? length : undefined).toString('utf8') });
      return;
    }
    if (final) settle({ status: 0, headers: {}, body: buffer.toString('utf8') });
  };
  socket.on('data', (d: Buffer) => {
    buffer = Buffer.concat([buffer, d]);
    parse(false);
  });
  socket.on('close', () => parse(true));
  socket.on('error', () => {});
  if (head) socket.write(head);
  return { socket, write: (data) => void (socket.writable && socket.write(data)), response, closed };
}

/** One request on its own connection: `GET //status` and the like. */
export async function rawRequest(port: number, method: string, target: string, headers: Record<string, string> = {}, body = ''): Promise<RawResponse> {
  const lines = [`${method} ${target} HTTP/1.1`, 'host: 127.0.0.1', 'connection: close', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  if (body) lines.push(`content-length: ${Buffer.byteLength(body)}`);
  const c = openRaw(port, `${lines.join('\r\n')}\r\n\r\n${body}`);
  const res = await c.response;
  c.socket.destroy();
  return res;
}
