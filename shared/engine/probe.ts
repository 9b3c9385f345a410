/**
 * One check round: the kind's probe, the `expect` assertions, and immediate re-tries, folded into
 * one ProbeResult. Used by the local prober pool, `pagerless check` and the AWS prober alike.
 */
import { failedExpectations } from '../checks/assertions.ts';
import type { ProbeAttempt, ProbeContext } from '../checks/kind.ts';
import type { CompiledCheck } from '../config/compile.ts';
import type { PhaseTimings, ProbeResult } from '../types.ts';
import { PUSH_REGION } from './reducer.ts';
import { isPushed, probeOf } from '../checks/index.ts';

export interface RoundContext extends Omit<ProbeContext, 'checkId' | 'timeoutMs' | 'bodyPattern'> {
  region: string;
}

/** Run a check's round. Never throws: a probe that crashes is a failed round with the error as reason. */
export async function runRound(check: CompiledCheck, ctx: RoundContext): Promise<ProbeResult> {
  const probe = probeOf(check);
  if (!probe) throw new Error(`${check.id}: ${check.kind} checks are pushed, not probed`);
  const probeCtx: ProbeContext = { ...ctx, checkId: check.id, timeoutMs: check.timeoutMs, bodyPattern: check.expect.body };
  let attempt: ProbeAttempt | undefined;
  let verdict: { ok: boolean; reason: string } = { ok: false, reason: 'not run' };
  let attempts = 0;
  for (; attempts <= check.retries; ) {
    attempts++;
    try {
      attempt = await probe(check.spec, probeCtx);
    } catch (err) {
      attempt = { ok: false, reason: `probe error: ${(err as Error).message}`, latencyMs: 0 };
    }
    verdict = judge(attempt, check, ctx.now());
    if (verdict.ok || (!attempt.ok && attempt.confirmed)) break;
  }
  const a = attempt!;
  const reason = attempts > 1 && !verdict.ok ? `${verdict.reason} (${attempts} attempts)` : verdict.reason;
  const pushed = isPushed(check);
  const result: ProbeResult = {
    check: check.id,
    region: pushed ? PUSH_REGION : ctx.region,
    at: ctx.now(),
    ok: verdict.ok,
    latencyMs: Math.round(a.latencyMs * 10) / 10,
    reason,
    attempts,
  };
  // Set only when present (no empty spreads: this runs for every round of every check).
  if (a.traceId) result.traceId = a.traceId;
  if (a.timings) result.timings = roundTimings(a.timings);
  if (pushed) result.pushed = true;
  return result;
}

function judge(attempt: ProbeAttempt, check: CompiledCheck, now: number): { ok: boolean; reason: string } {
  if (!attempt.ok) return { ok: false, reason: attempt.reason };
  const failed = failedExpectations(attempt, check.expect, now);
  if (failed.length > 0) return { ok: false, reason: failed.join('; ') };
  const seen = attempt.status !== undefined ? `status ${attempt.status}` : 'ok';
  return { ok: true, reason: attempt.note ? `${seen}, ${attempt.note}` : seen };
}

const PHASES = ['dns', 'connect', 'tls', 'firstByte', 'total'] as const satisfies readonly (keyof PhaseTimings)[];

/** The phases that were timed, to 0.1 ms (absent phases stay absent). */
function roundTimings(t: PhaseTimings): PhaseTimings {
  const out = {} as PhaseTimings;
  for (const k of PHASES) {
    const v = t[k];
    if (v !== undefined) out[k] = Math.round(v * 10) / 10;
  }
  return out;
}
