import { z } from 'zod';
import { httpUrl } from '../config/fields.ts';
import { postMessage, redact, SendError } from '../channels/channel.ts';
import { defineReaction, reactionBase } from './reaction.ts';

/** Calls a URL (a restart endpoint, a runbook automation) with a `reaction.ran` body or a fixed one. */
export const webhook = defineReaction({
  type: 'webhook',
  schema: z.strictObject({
    type: z.literal('webhook'),
    url: httpUrl,
    method: z.enum(['POST', 'PUT', 'PATCH', 'GET', 'DELETE']).default('POST'),
    headers: z.record(z.string(), z.string()).optional(),
    /** A fixed body instead of the JSON event. */
    body: z.string().optional(),
    ...reactionBase,
  }),
  async run(spec, input, ctx) {
    const body = spec.body ?? JSON.stringify({
      event: 'reaction.ran',
      reaction: { reaction: input.reaction, type: 'webhook', trigger: input.trigger },
      check: input.check,
      incident: input.incident,
    });
    const headers = { 'content-type': spec.body === undefined ? 'application/json' : 'text/plain', 'user-agent': 'Pagerless/0.1', ...spec.headers };
    try {
      await postMessage(spec.url, { body: spec.method === 'GET' ? '' : body, headers }, ctx, spec.method);
      return { outcome: 'executed', detail: `${spec.method} ${redact(spec.url)} succeeded` };
    } catch (err) {
      if (err instanceof SendError) return { outcome: 'failed', detail: err.message };
      throw err;
    }
  },
});
