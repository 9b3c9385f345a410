/** The one table of alert channels. Adding a channel: write its module, add it here. */
import type { Channel } from './channel.ts';
import { console } from './console.ts';
import { slack } from './slack.ts';
import { sns } from './sns.ts';
import { webhook } from './webhook.ts';

export const channels = { console, webhook, slack, sns } satisfies Record<string, Channel<any>>;
export type ChannelType = keyof typeof channels;
