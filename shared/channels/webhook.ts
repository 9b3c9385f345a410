import { createHmac } from 'node:crypto';
import { z } from 'zod';
import { httpUrl } from '../config/fields.ts';
import { channelBase, defineChannel, postMessage } from './channel.ts';

/** The HMAC header value for a body: `sha256=<hex>`. Receivers recompute it over the raw body. */
export function signBody(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** POSTs the event as JSON (DESIGN.md payload), signed with `X-Pagerless-Signature` when a secret is set. */
export const webhook = defineChannel({
  type: 'webhook',
  schema: z.strictObject({
    type: z.literal('webhook'),
    url: httpUrl,
    /** HMAC-SHA256 key for `X-Pagerless-Signature`. @default unsigned */
    secret: z.string().min(1).optional(),
    headers: z.record(z.string(), z.string()).optional(),
    ...channelBase,
  }),
  format(event, spec) {
    const body = JSON.stringify(event);
    // Configured headers first, lower-cased, so they can never replace the content type or the signature.
    const headers: Record<string, string> = { 'user-agent': 'Pagerless/0.1' };
    for (const [name, value] of Object.entries(spec.headers ?? {})) headers[name.toLowerCase()] = value;
    headers['content-type'] = 'application/json';
    if (spec.secret) headers['x-pagerless-signature'] = signBody(body, spec.secret);
    return { body, headers };
  },
  send: (message, spec, ctx) => postMessage(spec.url, message, ctx),
});
