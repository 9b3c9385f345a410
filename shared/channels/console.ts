import { z } from 'zod';
import { channelBase, defineChannel } from './channel.ts';
import { describeEvent } from './describe.ts';

/** Prints one line per event on standard output. */
export const console = defineChannel({
  type: 'console',
  schema: z.strictObject({ type: z.literal('console'), ...channelBase }),
  format: (event) => ({ body: describeEvent(event), headers: {} }),
  async send(message, _spec, ctx) {
    ctx.print(message.body);
  },
});
