/**
 * A replay's rate limit: what `take()` returns resolves when the next message may go, so that over any stretch the messages sent
 * are at most `rate` a second plus one. No burst is saved up: a pause, or a slow broker, does not earn a faster run
 * after it.
 */
export class Pacer {
  private next = 0;
  constructor(
    readonly rate: number,
    private readonly now: () => number = () => performance.now(),
    private readonly wait: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {}

  /** A promise to wait for, or nothing when the message may go now (so a fast loop need not await each message). */
  take(): Promise<void> | undefined {
    const t = this.now();
    if (this.next < t) this.next = t;
    const ahead = this.next - t;
    this.next += 1000 / this.rate;
    // timers are coarse: only sleep once a few milliseconds are owed
    return ahead >= 4 ? this.wait(ahead) : undefined;
  }
}

/** Items a replay claims at once: a fifth of a second of sending (so pause and cancel act within it), 1 to 2,000. */
export function batchSize(rate: number): number {
  return Math.max(1, Math.min(2000, Math.ceil(rate / 5)));
}
