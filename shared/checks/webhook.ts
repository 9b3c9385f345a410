import { defineCheckKind, type SchemaKit } from './kind.ts';

/** Sources `POST /hooks/{source}` understands. Each new source adds a parser in shared/http/hooks.ts. */
export const HOOK_SOURCES = ['generic'] as const;

/** A check whose state another tool pushes to `/hooks/{source}`; Pagerless never probes it. */
export const webhook = defineCheckKind({
  kind: 'webhook',
  schema: ({ z }: SchemaKit) => z.strictObject({ source: z.enum(HOOK_SOURCES) }),
  schedule: 'none',
  failuresConfirmed: true,
  expect: [],
  hook: { sourceKey: 'source' },
  target: (spec) => `pushed to /hooks/${spec.source}`,
});
