import { z } from 'zod';
import { formatDuration } from '../config/duration.ts';
import { httpUrl } from '../config/fields.ts';
import type { NotifyEvent } from '../types.ts';
import { channelBase, defineChannel, postMessage } from './channel.ts';
import { describeEvent } from './describe.ts';

const HEADLINE = {
  'incident.opened': (check: string) => `:red_circle: ${check} is down`,
  'incident.resolved': (check: string) => `:large_green_circle: ${check} is up again`,
  'incident.reminder': (check: string) => `:red_circle: ${check} is still down`,
  'reaction.ran': (check: string) => `:wrench: reaction on ${check}`,
} as const;

/** Block Kit message for a Slack incoming webhook; `text` is the notification fallback. */
export function slackMessage(e: NotifyEvent): Record<string, unknown> {
  const i = e.incident;
  const fields = [
    `*Severity*\n${i.severity}`,
    `*Service*\n${i.service}${i.group ? ` (${i.group})` : ''}`,
    `*Regions*\n${Object.entries(i.regions).map(([r, s]) => `${r}: ${s}`).join(', ') || '-'}`,
    e.event === 'incident.resolved'
      ? `*Down for*\n${formatDuration((i.durationSeconds ?? 0) * 1000)}`
      : `*Since*\n<!date^${Math.floor(Date.parse(i.openedAt) / 1000)}^{date_short_pretty} {time_secs}|${i.openedAt}>`,
  ];
  const detail = e.reaction
    ? `Reaction *${e.reaction.reaction}* (${e.reaction.type}) ${e.reaction.outcome}: ${e.reaction.detail}`
    : `*Reason:* ${i.reason}`;
  return {
    text: describeEvent(e),
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: HEADLINE[e.event](i.check).slice(0, 150), emoji: true } },
      { type: 'section', text: { type: 'mrkdwn', text: detail.slice(0, 3000) } },
      { type: 'section', fields: fields.map((text) => ({ type: 'mrkdwn', text })) },
      { type: 'context', elements: [{ type: 'mrkdwn', text: `Incident \`${i.id}\`${i.traceId ? ` · trace \`${i.traceId}\`` : ''} · Pagerless` }] },
    ],
  };
}

/** Slack incoming webhook (https://hooks.slack.com/services/...). */
export const slack = defineChannel({
  type: 'slack',
  schema: z.strictObject({ type: z.literal('slack'), url: httpUrl, ...channelBase }),
  format: (event) => ({ body: JSON.stringify(slackMessage(event)), headers: { 'content-type': 'application/json' } }),
  send: (message, spec, ctx) => postMessage(spec.url, message, ctx),
});
