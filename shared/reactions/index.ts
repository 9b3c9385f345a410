/** The one table of reactions. Adding a reaction: write its module, add it here. */
import { ec2Reboot } from './ec2-reboot.ts';
import type { Reaction } from './reaction.ts';
import { route53Failover } from './route53-failover.ts';
import { webhook } from './webhook.ts';

export const reactions = { webhook, 'ec2-reboot': ec2Reboot, 'route53-failover': route53Failover } satisfies Record<string, Reaction<any>>;
export type ReactionType = keyof typeof reactions;
