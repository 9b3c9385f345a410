/** Timers that never hold the process open and never overlap themselves. */

/** Resolves after `ms`; the timer does not keep the process alive. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref?.());
}

/**
 * Tasks run every so often. A run still going when the next is due is not overlapped (that
 * beat is skipped); a task that throws is handed to `onError` and runs again at its next beat.
 */
export class Periodic {
  private readonly timers = new Set<ReturnType<typeof setInterval>>();
  private stopped = false;

  constructor(private readonly onError: (err: unknown) => void) {}

  every(ms: number, task: () => unknown): void {
    let busy = false;
    const timer = setInterval(() => {
      if (this.stopped || busy) return;
      busy = true;
      Promise.resolve()
        .then(task)
        .catch(this.onError)
        .finally(() => {
          busy = false;
        });
    }, ms);
    timer.unref?.();
    this.timers.add(timer);
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.timers.clear();
  }
}
