/**
 * A bounded in-memory queue drained by at most `concurrency` probes at once. A check that is
 * still queued or running is not queued again: a slow target never piles up its own rounds.
 */
export class ProberPool {
  private readonly queue: { id: string; run: () => Promise<void> }[] = [];
  private readonly busy = new Set<string>();
  private readonly skipping = new Set<string>();
  private active = 0;
  private closed = false;

  constructor(
    readonly concurrency: number,
    readonly capacity: number,
  ) {}

  /** @returns false when the check is already queued or running, the queue is full, or the pool is closed. */
  submit(id: string, run: () => Promise<void>): boolean {
    if (this.closed || this.busy.has(id) || this.queue.length >= this.capacity) return false;
    this.busy.add(id);
    this.queue.push({ id, run });
    this.pump();
    return true;
  }

  /**
   * Submit a check's round; when it cannot be taken, `onSkip` is called once per streak of skipped
   * rounds (a target slower than its interval would otherwise be reported every round).
   */
  offer(id: string, run: () => Promise<void>, onSkip: () => void): void {
    if (this.submit(id, run)) {
      this.skipping.delete(id);
    } else if (!this.skipping.has(id)) {
      this.skipping.add(id);
      onSkip();
    }
  }

  get running(): number {
    return this.active;
  }

  get queued(): number {
    return this.queue.length;
  }

  close(): void {
    this.closed = true;
    for (const job of this.queue.splice(0)) this.busy.delete(job.id);
  }

  private pump(): void {
    while (this.active < this.concurrency && this.queue.length > 0) {
      const job = this.queue.shift()!;
      this.active++;
      job
        .run()
        .catch(() => undefined)
        .finally(() => {
          this.active--;
          this.busy.delete(job.id);
          this.pump();
        });
    }
  }
}
