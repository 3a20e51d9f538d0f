import { shutdownTelemetry } from "./otel";

/** Whether the service is shutting down (a broker connection closing then is expected, not a failure). */
export const lifecycle = { stopping: false };

/**
 * Runs a demo service: `main` now; on SIGTERM or SIGINT, `close` and a flush of the spans still buffered, then exit.
 * A failing `main` exits 1 so the demo's supervisor restarts the service.
 */
export function runService(name: string, main: () => Promise<void>, close: () => Promise<unknown> = async () => undefined): void {
  const stop = async () => {
    if (lifecycle.stopping) return;
    lifecycle.stopping = true;
    await close().catch(() => undefined);
    await shutdownTelemetry();
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop());
  process.on("SIGINT", () => void stop());
  main().catch((e: unknown) => {
    console.error(`${name}: ${(e as Error).message}`);
    process.exit(1);
  });
}
