import { backoffDelay, defaultBackoff, type BackoffOptions } from "../lib/backoff";
import { errorMessage } from "../lib/errors";
import type { HealthRegistry, System } from "./health-registry";
import { sourceReconnects } from "./metrics";
import { CollectorProblem } from "./sources/problem";

/**
 * Keeps one connection to a source alive: connect, check it every interval, and on failure or loss close it and
 * reconnect with exponential backoff. Health is reported on every outcome; nothing here throws out of `run`.
 */
export interface SourceDriver<C> {
  system: System;
  name: string;
  connect(): Promise<C>;
  /** Resolves with details while the connection is good; rejects when it is not. */
  check(conn: C): Promise<Record<string, unknown>>;
  /** Called with a callback to fire when the connection is lost between checks. */
  onLost?(conn: C, lost: (err: Error) => void): void;
  close(conn: C): Promise<void>;
  describeError?(e: unknown): string;
}

export class Supervisor<C> {
  private stopped = false;
  private wake: (() => void) | null = null;
  private loop: Promise<void> | null = null;

  constructor(
    private readonly driver: SourceDriver<C>,
    private readonly health: HealthRegistry,
    private readonly intervalMs: number,
    private readonly backoff: BackoffOptions = defaultBackoff,
    private readonly log: (s: string) => void = (s) => console.log(s),
  ) {
    health.register(driver.system, driver.name);
  }

  start(): this {
    this.loop ??= this.run();
    return this;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wake = done;
    });
  }

  private describe(e: unknown): string {
    return this.driver.describeError ? this.driver.describeError(e) : errorMessage(e);
  }

  private async run(): Promise<void> {
    const { system, name } = this.driver;
    let attempt = 0;
    let wasHealthy: boolean | null = null;
    while (!this.stopped) {
      let conn: C | undefined;
      let lostError: Error | null = null;
      try {
        conn = await this.driver.connect();
        this.driver.onLost?.(conn, (err) => {
          lostError ??= err;
          this.wake?.();
        });
        while (!this.stopped) {
          if (lostError) throw lostError;
          let details: Awaited<ReturnType<typeof this.driver.check>>;
          try {
            details = await this.driver.check(conn);
          } catch (e) {
            if (!(e instanceof CollectorProblem) || lostError) throw e;
            // the source answers, but something Switchyard does with it is not working (dead-letter capture paused,
            // its group shared): reported, the connection kept (it is not what failed), looked at again next interval
            const msg = this.describe(e);
            this.health.report(system, name, false, msg);
            if (wasHealthy !== false) this.log(`[${system}:${name}] unhealthy: ${msg}`);
            wasHealthy = false;
            await this.sleep(this.intervalMs);
            continue;
          }
          if (lostError) throw lostError;
          this.health.report(system, name, true, null, details);
          if (wasHealthy !== true) this.log(`[${system}:${name}] healthy`);
          wasHealthy = true;
          attempt = 0;
          await this.sleep(this.intervalMs);
        }
      } catch (e) {
        const msg = this.describe(e);
        this.health.report(system, name, false, msg);
        if (wasHealthy !== false) this.log(`[${system}:${name}] unhealthy: ${msg}`);
        wasHealthy = false;
      } finally {
        if (conn !== undefined) await this.driver.close(conn).catch(() => undefined);
      }
      if (this.stopped) break;
      sourceReconnects.inc({ system, name });
      await this.sleep(backoffDelay(attempt++, this.backoff));
    }
  }
}
