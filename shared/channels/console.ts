import { z } from 'zod';
import { channelBase, defineChannel } from './channel.ts';
import { describeEvent } from './describe.ts';

/** Prints one line per event on standard output; a reason a hook or a job sent cannot break or recolour it. */
export const console = defineChannel({
  type: 'console',
  schema: z.strictObject({ type: z.literal('console'), ...channelBase }),
  format: (event) => ({ body: printable(describeEvent(event)), headers: {} }),
  async send(message, _spec, ctx) {
    ctx.print(message.body);
  },
});

// C0 and C1 controls (newlines, ESC and CSI start terminal sequences), DEL, line separators, bidi overrides.
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * A text safe to print on one terminal line: every control character is written as an escape
 * (`\n`, `\x1b`, `\u2028`), so a message cannot forge a log line or send a terminal sequence.
 * @example printable('ok\n\x1b[31m') // 'ok\\n\\x1b[31m'
 */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (c) => {
    const code = c.charCodeAt(0);
    return NAMED[c] ?? (code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`);
  });
}
