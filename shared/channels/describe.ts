import { formatDuration } from '../config/duration.ts';
import type { OutboundEvent, Summary } from '../types.ts';

/** One line for people: the same words on the console, in Slack's fallback text and in logs. */
export function describeEvent(e: OutboundEvent): string {
  if (e.event === 'summary') return describeSummary(e.summary);
  const i = e.incident;
  const regions = Object.entries(i.regions).map(([r, s]) => `${r}=${s}`).join(', ');
  switch (e.event) {
    case 'incident.opened':
      return `[${i.severity}] ${i.check} is DOWN: ${i.reason} (regions: ${regions}; incident ${i.id})`;
    case 'incident.resolved':
      return `[${i.severity}] ${i.check} is UP again after ${formatDuration((i.durationSeconds ?? 0) * 1000)} (incident ${i.id})`;
    case 'incident.reminder':
      return `[${i.severity}] ${i.check} is still DOWN since ${i.openedAt}: ${i.reason} (incident ${i.id})`;
    case 'reaction.ran': {
      const r = e.reaction;
      return r
        ? `[${i.severity}] ${i.check}: reaction ${r.reaction} (${r.type}) ${r.outcome}: ${r.detail}`
        : `[${i.severity}] ${i.check}: a reaction ran`;
    }
  }
}

/** `Summary: 12 checks: 10 up, 1 down, 1 degraded, 0 pending; 2 opened and 1 resolved in the last 24h; open: a/b since ...` */
export function describeSummary(s: Summary): string {
  const period = s.periodSeconds > 0 ? ` in the last ${formatDuration(s.periodSeconds * 1000)}` : '';
  const open = s.open.length ? `; open: ${s.open.map((o) => `${o.check} since ${o.since} (${o.reason})`).join(', ')}` : '; no open incidents';
  return `Summary: ${s.checks} checks: ${s.up} up, ${s.down} down, ${s.degraded} degraded, ${s.pending} pending; ${s.opened} opened and ${s.resolved} resolved${period}${open}`;
}
