/** The prober's side of a probe message: no SQS client here (the prober receives, it never sends). */
import type { ProbeBatchMessage } from './tables.ts';

/** Parse and check an SQS body; throws with the reason for a malformed one (it goes to the DLQ). */
export function parseProbeMessage(body: string): ProbeBatchMessage {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (err) {
    throw new Error(`probe message is not JSON: ${(err as Error).message}`);
  }
  const m = parsed as Partial<ProbeBatchMessage>;
  if (m?.v !== 1 || typeof m.at !== 'number' || !Array.isArray(m.checks) || !m.checks.every((c) => typeof c === 'string')) {
    throw new Error('probe message must be {"v":1,"at":<epoch ms>,"checks":["service/check", ...]}');
  }
  return m as ProbeBatchMessage;
}
