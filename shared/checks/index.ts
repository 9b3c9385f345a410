/** The one table of check kinds. Adding a kind: write its module, add it here. */
import { heartbeat } from './heartbeat.ts';
import { http } from './http.ts';
import { tcp } from './tcp.ts';
import { webhook } from './webhook.ts';
import type { CheckKind } from './kind.ts';

export const checkKinds = { http, tcp, heartbeat, webhook } satisfies Record<string, CheckKind<any>>;
export type CheckKindName = keyof typeof checkKinds;
export const CHECK_KIND_NAMES = Object.keys(checkKinds) as CheckKindName[];
