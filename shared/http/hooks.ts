/** Parsers of third-party alert bodies for `POST /hooks/{source}`; one entry per source. */
import { z } from 'zod';
import { HOOK_SOURCES } from '../checks/webhook.ts';

export interface PushedAlert {
  check: string;
  status: 'up' | 'down';
  message: string;
}

/** A request the hook route rejects, with the HTTP status to answer. */
export class HookError extends Error {
  override name = 'HookError';
  readonly code = 'HOOK_REJECTED';
  constructor(readonly status: 400 | 404 | 413, message: string) {
    super(message);
  }
}

const generic = z.strictObject({
  check: z.string().regex(/^[a-z0-9_-]+\/[a-z0-9_-]+$/, 'must be "service/check"'),
  status: z.enum(['up', 'down']),
  message: z.string().max(2000).optional(),
});

const parsers: Record<(typeof HOOK_SOURCES)[number], (body: unknown) => PushedAlert[]> = {
  generic(body) {
    const r = generic.safeParse(body);
    if (!r.success) {
      const i = r.error.issues[0]!;
      const where = i.path.length ? i.path.join('.') : 'body';
      const msg = i.code === 'invalid_type' && i.input === undefined ? 'is required' : i.code === 'unrecognized_keys' ? `has unknown key(s) ${i.keys.join(', ')}` : i.message;
      throw new HookError(400, `${where} ${msg} (expected {"check":"service/check","status":"up"|"down","message":"..."})`);
    }
    return [{ check: r.data.check, status: r.data.status, message: r.data.message ?? '' }];
  },
};

/** @throws HookError (400 bad JSON or shape, 404 unknown source) */
export function parseHook(source: string, raw: string): PushedAlert[] {
  const parser = Object.hasOwn(parsers, source) ? parsers[source as keyof typeof parsers] : undefined;
  if (!parser) throw new HookError(404, `unknown hook source "${source}" (known: ${HOOK_SOURCES.join(', ')})`);
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch (err) {
    throw new HookError(400, `body is not valid JSON: ${(err as Error).message}`);
  }
  return parser(body);
}
