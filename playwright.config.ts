import { defineConfig } from "@playwright/test";

/**
 * End-to-end tests in Debian's Chromium against the production build (`next build` into .next-test) and a real
 * collectors process. Ports differ from `npm run demo`'s so both can run at once.
 */
const port = Number(process.env.E2E_PORT ?? 3100);
const stackEnv = {
  ...(process.env as Record<string, string>),
  OTLP_HTTP_PORT: process.env.E2E_OTLP_PORT ?? "14318",
  OTLP_GRPC_PORT: process.env.E2E_OTLP_GRPC_PORT ?? "14317",
  COLLECTORS_PORT: process.env.E2E_COLLECTORS_PORT ?? "19464",
  HEALTH_INTERVAL_MS: "1000",
  KAFKA_POLL_INTERVAL_MS: "2000",
  RABBITMQ_POLL_INTERVAL_MS: "2000",
  KAFKA_STATUS_WINDOW: "5",
  // the demo's orders wait in its slow group's lag for minutes: stuck within the run (e2e/flows.spec.ts)
  WORKFLOW_STUCK_AFTER: "20s",
  // the Alerts page's rule fires within seconds (e2e/alerts.spec.ts)
  ALERT_EVAL_INTERVAL_MS: "2000",
  // a consumer group of the e2e stack's own for the dead-letter topics: any other collectors on this Kafka (a demo, an
  // integration test, one left running) in the default group would share shop.orders.DLT's partition with it and
  // capture its records into another database (a CI run's flow map once had no dead-letter edge for 60 s)
  KAFKA_DLT_GROUP: process.env.E2E_KAFKA_DLT_GROUP ?? "switchyard-dlt-e2e",
  E2E_RUN: process.env.E2E_RUN ?? String(Date.now()),
  NEXT_DIST_DIR: process.env.NEXT_DIST_DIR ?? ".next-test",
  NEXT_TELEMETRY_DISABLED: "1",
};

export default defineConfig({
  testDir: "e2e",
  globalSetup: "./e2e/global-setup.ts",
  timeout: 60_000,
  expect: { timeout: 20_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [["list"]],
  use: {
    baseURL: `http://localhost:${port}`,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    },
  },
  webServer: [
    {
      command: "node --import tsx collectors/main.ts",
      url: `http://127.0.0.1:${stackEnv.COLLECTORS_PORT}/healthz`,
      env: stackEnv,
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: "ignore",
      stderr: "pipe",
    },
    {
      command: `node_modules/.bin/next start -p ${port}`,
      url: `http://localhost:${port}/api/v1/health`,
      env: stackEnv,
      reuseExistingServer: false,
      timeout: 60_000,
    },
    {
      // the demo shop, so the pages show real traffic: lag on its slow group, dead letters, traces
      command: "node_modules/.bin/tsx demo/run.ts",
      port: 14100,
      env: {
        ...stackEnv,
        DEMO_ORDER_PORT: "14100",
        DEMO_RATE: "6",
        DEMO_SLOW_MS: "1000",
        // declined payments are the largest failure group (e2e/replay-demo.spec.ts replays it; their replays are accepted)
        DEMO_DECLINE_RATE: "0.15",
        DEMO_DECLINES: "first",
        // transient payment failures still happen and are retried, but a replayed message failing all 4 attempts
        // (0.15^4 per message at the default: 1 in 2,000, so a 1,000-message replay failed one again 4 times in 10)
        // would make e2e/replay-demo.spec.ts's "every one processed" a coin toss: 0.03^4 is about 1 in a million
        DEMO_FLAKY_RATE: "0.03",
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `http://127.0.0.1:${stackEnv.OTLP_HTTP_PORT}/v1/traces`,
        KAFKAJS_NO_PARTITIONER_WARNING: "1",
      },
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: "ignore",
      stderr: "ignore",
    },
  ],
});
