/** TCP checks: connect, optionally send a line and match the banner (the probe is in tcp-probe.ts). */
import { defineCheckKind, type SchemaKit } from './kind.ts';
import { probeTcp } from './tcp-probe.ts';

export const tcp = defineCheckKind({
  kind: 'tcp',
  schema: ({ z, regexString }: SchemaKit) => z.strictObject({
    host: z.string().min(1),
    /** A number, or a string of digits so that `${env:PORT}` works. */
    port: z.union([z.int(), z.string().regex(/^\d+$/, 'must be a port number').transform(Number)]).pipe(z.int().min(1).max(65_535)),
    /** Text sent once connected (`\r\n` escapes allowed in YAML double quotes). */
    send: z.string().optional(),
    /** Regular expression the first bytes the server sends must match. */
    expect: regexString.optional(),
  }),
  schedule: 'probe',
  failuresConfirmed: false,
  expect: ['maxLatency'],
  interval: { local: { minMs: 1_000 }, aws: { minMs: 10_000 } },
  target: (spec) => `${spec.host}:${spec.port}`,
  probe: (spec, ctx) => probeTcp(spec, ctx),
});
