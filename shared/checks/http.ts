/** HTTP(S) checks: the schema of `http:` (the probe itself is in http-probe.ts). */
import { z } from 'zod';
import { httpUrl } from '../config/fields.ts';
import { defineCheckKind } from './kind.ts';
import { probes } from './probes.ts';

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

export const httpSpecSchema = z.strictObject({
  url: httpUrl,
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
export type HttpSpec = z.infer<typeof httpSpecSchema>;

export const http = defineCheckKind({
  kind: 'http',
  mode: 'probe',
  schema: httpSpecSchema,
  target: (spec) => `${spec.method} ${spec.url}`,
  probe: probes.http,
});
