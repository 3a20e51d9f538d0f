import { backoffDelay } from "../lib/backoff";

/**
 * Runs `poll` every `intervalMs` (measured from the start of each poll) until stopped. A failing poll is handed to
 * `onError` with the count of failures in a row, and the next try waits the longer of the interval and the backoff.
 * `stop` wakes a sleeping loop at once and resolves when the loop has ended.
 */
export class PollLoop {
  private stopped = false;
  private wake: (() => void) | null = null;
  private loop: Promise<void> | null = null;

  constructor(
    private readonly intervalMs: number,
    private readonly poll: () => Promise<void>,
    private readonly onError: (e: unknown, failures: number) => Promise<void> | void,
    private readonly onRecovered: () => void = () => undefined,
  ) {}

  get isStopped(): boolean {
    return this.stopped;
  }

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      const started = Date.now();
      try {
        await this.poll();
        if (failures) this.onRecovered();
        failures = 0;
      } catch (e) {
        failures++;
        await this.onError(e, failures);
      }
      if (this.stopped) break;
      const wait = failures ? Math.max(this.intervalMs, backoffDelay(failures)) : this.intervalMs - (Date.now() - started);
      await this.sleep(Math.max(0, wait));
    }
  }
}
