import { z } from 'zod';
import { defineCheckKind } from './kind.ts';
import { probes } from './probes.ts';
import { regexString } from '../config/fields.ts';

export const tcp = defineCheckKind({
  kind: 'tcp',
  mode: 'probe',
  schema: z.strictObject({
    host: z.string().min(1),
    /** A number, or a string of digits so that `${env:PORT}` works. */
    port: z.union([z.int(), z.string().regex(/^\d+$/, 'must be a port number').transform(Number)]).pipe(z.int().min(1).max(65_535)),
    /** Text sent once connected (`\r\n` escapes allowed in YAML double quotes). */
    send: z.string().optional(),
    /** Regular expression the first bytes the server sends must match. */
    expect: regexString.optional(),
  }),
  target: (spec) => `${spec.host}:${spec.port}`,
  probe: probes.tcp,
});
