/**
 * How big a prober invocation is, in one place: the scheduler packs messages with it
 * (pipeline.ts), the prober stack sizes the function and its SQS event source with it
 * (infra/prober-stack.ts), the prober runs that many checks at a time (proberInFlight), and
 * `pagerless cost` prices it (shared/cost/model.ts). Chosen from the cost model's curve
 * (`pagerless cost` prints it; README "What it costs").
 */
import { inFlightFor } from '../cost/model.ts';

export const PROBER_SIZING = {
  /** Prober Lambda memory, MB (CPU comes with it: 1,769 MB = 1 vCPU, so 256 MB is 14.5%). */
  memoryMb: 256,
  /** Checks per SQS message (fewer when their names would make a message too large). */
  checksPerMessage: 400,
  /** SQS messages per prober invocation (the event source's batch size). */
  messagesPerInvocation: 1,
} as const;

/**
 * Checks a prober runs at a time for each of `messages` messages: as many as keep the thread's
 * queue short at the memory the function was given (Lambda sets AWS_LAMBDA_FUNCTION_MEMORY_SIZE;
 * the `memorySize` prop may differ from the default). All 400 at once on 256 MB would queue ~3 s
 * of handshakes and report every latency that much too high.
 */
export function proberInFlight(env: Record<string, string | undefined>, messages: number): number {
  const mb = Number(env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE);
  const total = inFlightFor(Number.isFinite(mb) && mb > 0 ? mb : PROBER_SIZING.memoryMb);
  return Math.max(1, Math.floor(total / Math.max(1, messages)));
}
