import { formatDuration } from '../config/duration.ts';
import type { NotifyEvent } from '../types.ts';

/** One line for people: the same words on the console, in Slack's fallback text and in logs. */
export function describeEvent(e: NotifyEvent): string {
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
