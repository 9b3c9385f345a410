import type { Dispatcher } from 'undici';
import { z } from 'zod';
import { describeNetworkError } from '../checks/errors.ts';
import { PagerlessError } from '../kit/errors.ts';
import type { AwsClients } from '../ports.ts';
import type { NotifyEventName, OutboundEvent } from '../types.ts';

/** Events a channel can subscribe to. (`incident.reminder` is part of the payload vocabulary but not sent yet.) */
export const NOTIFY_EVENTS = ['incident.opened', 'incident.resolved', 'reaction.ran'] as const satisfies readonly NotifyEventName[];

/** Keys every channel takes besides its own. */
export const channelBase = {
  /** Which events this channel receives. @default every event */
  events: z.array(z.enum(NOTIFY_EVENTS)).min(1).optional(),
};

/** A formatted message: exactly what goes on the wire (pure, snapshot-tested). */
export interface OutboundMessage {
  body: string;
  headers: Record<string, string>;
}

export interface SendContext {
  /** Outbound HTTP goes through this dispatcher (undici MockAgent in tests). @default undici's global */
  dispatcher?: Dispatcher;
  timeoutMs: number;
  /** Where the console channel writes. */
  print(line: string): void;
  /** AWS clients, for channels and reactions that call AWS (SNS, EC2, Route 53). */
  aws?: AwsClients;
}

/** A failed send. `retryable` sends are tried again with backoff; the others are given up and logged. */
export class SendError extends PagerlessError {
  override name = 'SendError';
  constructor(message: string, retryable: boolean, options?: { cause?: unknown }) {
    super(message, { code: 'SEND_FAILED', retryable, cause: options?.cause });
  }
}

export interface Channel<S extends z.ZodType = z.ZodType> {
  readonly type: string;
  readonly schema: S;
  format(event: OutboundEvent, spec: z.infer<S>): OutboundMessage;
  send(message: OutboundMessage, spec: z.infer<S>, ctx: SendContext): Promise<void>;
}

export function defineChannel<S extends z.ZodType>(channel: Channel<S>): Channel<S> {
  return channel;
}

/**
 * POST a body and treat anything but 2xx as a failure. Timeouts, connection errors, 429 and 5xx
 * are retryable; other 4xx are not (sending the same request again cannot succeed).
 */
export async function postMessage(url: string, message: OutboundMessage, ctx: SendContext, method = 'POST'): Promise<void> {
  let res: Dispatcher.ResponseData;
  const request = await undiciRequest();
  try {
    res = await request(url, {
      method: method as 'POST',
      body: method === 'GET' || method === 'DELETE' ? undefined : message.body,
      headers: message.headers,
      dispatcher: ctx.dispatcher,
      signal: AbortSignal.timeout(ctx.timeoutMs),
    });
  } catch (err) {
    const e = err as Error & { code?: string };
    const what = e.name === 'TimeoutError' || e.name === 'AbortError' ? `timed out after ${ctx.timeoutMs}ms` : describeNetworkError(err, new URL(url).host);
    throw new SendError(`${method} ${redact(url)} failed: ${what}`, true, { cause: err });
  }
  const text = await res.body.text().catch(() => '');
  if (res.statusCode >= 200 && res.statusCode < 300) return;
  const retryable = res.statusCode >= 500 || res.statusCode === 429 || res.statusCode === 408;
  throw new SendError(`${method} ${redact(url)} answered ${res.statusCode}${text ? `: ${text.slice(0, 200)}` : ''}`, retryable);
}

let loaded: Promise<typeof import('undici').request> | undefined;
/**
 * undici, loaded on the first send rather than at start-up (every CLI command would pay ~100 ms).
 * Bundled, a CommonJS module's exports may sit under `default`.
 */
function undiciRequest(): Promise<typeof import('undici').request> {
  loaded ??= import('undici').then((m) => m.request ?? (m as unknown as { default: typeof m }).default.request);
  return loaded;
}

/** Webhook URLs carry secrets in their path (Slack): log the origin only. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname.length > 1 ? '/…' : '/'}`;
  } catch {
    return '(bad url)';
  }
}
