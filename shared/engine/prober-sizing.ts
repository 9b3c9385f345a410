/**
 * How big a prober invocation is, in one place: the scheduler packs messages with it
 * (pipeline.ts), the prober stack sizes the function and its SQS event source with it
 * (infra/prober-stack.ts), and `pagerless cost` prices it (shared/cost/model.ts).
 * Chosen from the cost model's curve (`pagerless cost` prints it; notes in the cost model).
 */
export const PROBER_SIZING = {
  /** Prober Lambda memory, MB (CPU comes with it: 1,769 MB = 1 vCPU). */
  memoryMb: 512,
  /** Checks per SQS message. */
  checksPerMessage: 100,
  /** SQS messages per prober invocation (the event source's batch size). */
  messagesPerInvocation: 1,
} as const;
