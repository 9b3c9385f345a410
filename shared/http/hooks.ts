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

const CHECK_ID = /^[a-z0-9_-]+\/[a-z0-9_-]+$/;
const STATUSES = ['up', 'down'] as const;
const MAX_MESSAGE = 2000;

const generic = z.strictObject({
  check: z.string().regex(CHECK_ID),
  status: z.enum(STATUSES),
  message: z.string().max(MAX_MESSAGE).optional(),
});

/** What each generic field must be, in the words a 400 uses (never the schema library's). */
const GENERIC_FIELDS: Record<string, string> = {
  check: 'a string "service/check" (lower-case letters, digits, _ and -)',
  status: 'one of "up", "down"',
  message: `a string of at most ${MAX_MESSAGE} characters`,
};
const GENERIC_SHAPE = '{"check":"service/check","status":"up"|"down","message":"..."}';

const parsers: Record<(typeof HOOK_SOURCES)[number], (body: unknown) => PushedAlert[]> = {
  generic(body) {
    const r = generic.safeParse(body);
    if (!r.success) {
      const problems = r.error.issues.map((i) => describeIssue(i, body));
      throw new HookError(400, `${[...new Set(problems)].join('; ')} (expected ${GENERIC_SHAPE})`);
    }
    return [{ check: r.data.check, status: r.data.status, message: r.data.message ?? '' }];
  },
};

/** The 404 for a source `POST /hooks/{source}` does not know, so the route can answer before reading a body. */
export function unknownHookSource(source: string): HookError | undefined {
  return Object.hasOwn(parsers, source) ? undefined : new HookError(404, `unknown hook source "${source}" (known: ${HOOK_SOURCES.join(', ')})`);
}

/** @throws HookError (400 bad JSON or shape, 404 unknown source) */
export function parseHook(source: string, raw: string): PushedAlert[] {
  const unknown = unknownHookSource(source);
  if (unknown) throw unknown;
  const parser = parsers[source as keyof typeof parsers];
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch (err) {
    throw new HookError(400, `body is not valid JSON: ${(err as Error).message}`);
  }
  return parser(body);
}

/** One schema issue as "which field, and how it is wrong": missing, wrong type, or a wrong value. */
function describeIssue(issue: z.core.$ZodIssue, body: unknown): string {
  const [field] = issue.path;
  if (field === undefined) {
    if (issue.code === 'unrecognized_keys') {
      return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')} (allowed: ${Object.keys(GENERIC_FIELDS).join(', ')})`;
    }
    return `body must be a JSON object, not ${kindOf(body)}`;
  }
  const name = String(field);
  const container = body as Record<string, unknown>;
  // zod does not report the input, so read it here: "missing" and "wrong type" need different words.
  if (!Object.hasOwn(container, name)) return `${name} is missing`;
  const value = container[name];
  const wanted = GENERIC_FIELDS[name] ?? 'valid';
  if (issue.code === 'invalid_type') return `${name} must be ${wanted}, not ${kindOf(value)}`;
  if (issue.code === 'too_big' && typeof value === 'string') return `${name} must be ${wanted}, not ${value.length} characters`;
  const hint = name === 'status' && typeof value === 'string' && (STATUSES as readonly string[]).includes(value.toLowerCase()) ? ' (lower case)' : '';
  return `${name} must be ${wanted}${hint}, not ${preview(value)}`;
}

/** `null`, `an array`, `the number 3`, `the string "x"`: what a body held, in words. */
function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `the ${typeof value} ${preview(value)}`;
}

function preview(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
