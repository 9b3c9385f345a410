/** HTTP(S) checks: the schema of `http:` and the kind's capabilities (the probe itself is in http-probe.ts). */
import type { z } from 'zod';
import { defineCheckKind, type SchemaKit } from './kind.ts';
import { probeHttp } from './http-probe.ts';

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/** True when the URL carries `user:password@`, which the probe would not send. */
function hasCredentials(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  return url.username !== '' || url.password !== '';
}

const httpSchema = ({ z, httpUrl }: SchemaKit) =>
  z.strictObject({
    // The message never quotes the URL: its credentials are usually a secret.
    url: httpUrl.refine((v) => !hasCredentials(v), {
      message: 'credentials in the URL (user:password@host) are not sent: remove them from the URL and write basicAuth: { username: ..., password: ... }',
    }),
    method: z.enum(METHODS).default('GET'),
    headers: z.record(z.string(), z.string()).optional(),
    body: z.string().optional(),
    basicAuth: z.strictObject({ username: z.string(), password: z.string() }).optional(),
    /** Redirects followed before the response is judged; 0 judges the 3xx itself. @default 5 */
    redirects: z.int().min(0).max(20).default(5),
    /** Query parameter that carries a fresh trace id on every request, shown in alerts. */
    traceParam: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'must be a plain query parameter name').optional(),
    /** Accept any certificate (still reports its expiry). For self-signed test targets only. @default false */
    insecure: z.boolean().default(false),
  });

/** The `http:` spec as the schema parsed it (defaults filled in). */
export type HttpSpec = z.output<ReturnType<typeof httpSchema>>;

export const http = defineCheckKind({
  kind: 'http',
  schema: httpSchema,
  schedule: 'probe',
  failuresConfirmed: false,
  expect: ['status', 'body', 'maxLatency', 'certDays'],
  defaultStatus: '2xx',
  interval: { local: { minMs: 1_000 }, aws: { minMs: 10_000 } },
  target: (spec) => `${spec.method} ${spec.url}`,
  probe: (spec, ctx) => probeHttp(spec, ctx),
});
