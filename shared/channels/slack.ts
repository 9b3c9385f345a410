import { z } from 'zod';
import { formatDuration } from '../config/duration.ts';
import { httpUrl } from '../config/fields.ts';
import type { NotifyEvent, OutboundEvent, Summary } from '../types.ts';
import { channelBase, defineChannel, postMessage } from './channel.ts';
import { describeEvent } from './describe.ts';

/** Slack mrkdwn control characters (api.slack.com/reference/surfaces/formatting#escaping). */
export function escapeSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const HEADLINE = {
  'incident.opened': (check: string) => `:red_circle: ${check} is down`,
  'incident.resolved': (check: string) => `:large_green_circle: ${check} is up again`,
  'incident.reminder': (check: string) => `:red_circle: ${check} is still down`,
  'reaction.ran': (check: string) => `:wrench: reaction on ${check}`,
} as const;

/** Block Kit message for a Slack incoming webhook; `text` is the notification fallback. */
export function slackMessage(e: OutboundEvent): Record<string, unknown> {
  return e.event === 'summary' ? summaryMessage(e.summary) : incidentMessage(e);
}

function summaryMessage(s: Summary): Record<string, unknown> {
  const icon = s.down > 0 ? ':red_circle:' : s.degraded > 0 ? ':large_yellow_circle:' : ':large_green_circle:';
  const open = s.open.length
    ? s.open.slice(0, 20).map((o) => `• *${o.check}* since <!date^${Math.floor(Date.parse(o.since) / 1000)}^{date_short_pretty} {time}|${o.since}>: ${escapeSlack(o.reason)}`).join('\n')
    : 'No open incidents.';
  return {
    text: escapeSlack(describeEvent({ event: 'summary', summary: s })),
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: `${icon} Pagerless summary: ${s.up}/${s.checks} checks up`, emoji: true } },
      { type: 'section', fields: [
        `*Up*\n${s.up}`, `*Down*\n${s.down}`, `*Degraded*\n${s.degraded}`, `*Pending*\n${s.pending}`,
        `*Opened*\n${s.opened}`, `*Resolved*\n${s.resolved}`,
      ].map((text) => ({ type: 'mrkdwn', text })) },
      { type: 'section', text: { type: 'mrkdwn', text: open.slice(0, 3000) } },
    ],
  };
}

function incidentMessage(e: NotifyEvent): Record<string, unknown> {
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
    ? `Reaction *${e.reaction.reaction}* (${e.reaction.type}) ${e.reaction.outcome}: ${escapeSlack(e.reaction.detail)}`
    : `*Reason:* ${escapeSlack(i.reason)}`;
  return {
    text: escapeSlack(describeEvent(e)),
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
