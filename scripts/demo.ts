/**
 * `npm run demo`: brings up the brokers and Postgres, migrates, builds the dashboard if needed, and starts the
 * collectors, the dashboard and the demo shop making real traffic. Ctrl-C stops what it started; the Kafka broker
 * keeps running for the next time (`npm run infra:stop` stops it).
 */
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { loadConfig } from "../lib/config/env";
import { errorMessage } from "../lib/errors";
import { ensureDatabase, runMigrations } from "../db/migrate";
import { infraUp } from "./infra/up";
import { buildDashboard, dashboardBuildIsFresh } from "./lib/build";
import { ProcGroup } from "./lib/procs";

const root = path.resolve(__dirname, "..");
const pidFile = path.join(root, ".infra", "demo.pid");
const bin = (name: string) => path.join(root, "node_modules", ".bin", name);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once("error", () => resolve(false));
    s.listen(port, "0.0.0.0", () => s.close(() => resolve(true)));
  });
}

async function waitForOk(what: string, url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    // up when it answers: in token or proxy mode the health endpoint answers 401 to a caller without identity
    const ok = await fetch(url).then((r) => r.ok || r.status === 401, () => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`the ${what} did not answer ${url} within ${timeoutMs / 1000} s`);
}

async function main() {
  const config = loadConfig();
  const port = Number(process.env.PORT ?? 3000);
  const url = `http://localhost:${port}`;
  fs.mkdirSync(path.dirname(pidFile), { recursive: true });
  const existing = fs.existsSync(pidFile) ? Number(fs.readFileSync(pidFile, "utf8")) : 0;
  if (existing && alive(existing)) {
    console.log(`Switchyard's demo is already running (pid ${existing}); the dashboard is at ${url}. Stop it with Ctrl-C in its terminal or: kill ${existing}`);
    return;
  }
  fs.writeFileSync(pidFile, String(process.pid));
  const cleanup = () => {
    if (fs.existsSync(pidFile) && fs.readFileSync(pidFile, "utf8") === String(process.pid)) fs.rmSync(pidFile);
  };
  process.on("exit", cleanup);

  for (const [what, p] of [
    ["dashboard (PORT)", port],
    ["OTLP/HTTP receiver (OTLP_HTTP_PORT)", config.OTLP_HTTP_PORT],
    ["OTLP/gRPC receiver (OTLP_GRPC_PORT)", config.OTLP_GRPC_PORT],
    ["collectors (COLLECTORS_PORT)", config.COLLECTORS_PORT],
  ] as const) {
    if (!(await portFree(p))) throw new Error(`port ${p} for the ${what} is taken by another process; stop it or set ${what.split("(")[1]!.slice(0, -1)}`);
  }

  console.log("== 1/4 infrastructure");
  await infraUp(config);
  console.log("== 2/4 database schema");
  await ensureDatabase(config.DATABASE_URL);
  await runMigrations(config.DATABASE_URL);
  console.log("== 3/4 dashboard build");
  if (dashboardBuildIsFresh()) console.log("dashboard build is up to date");
  else await buildDashboard();

  console.log("== 4/4 collectors, demo services, dashboard");
  const group = new ProcGroup();
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping collectors, dashboard and demo services...`);
    await group.stopAll();
    console.log("stopped. Kafka keeps running for next time; `npm run infra:stop` stops it.");
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
  const kafka = config.KAFKA_CLUSTERS[0]!;
  const rabbit = config.RABBITMQ_BROKERS[0]!;
  // node itself, not the tsx CLI: the CLI relays a signal and kills the process when its event loop is busy for 60 ms
  // (tsx waits 30 ms twice for the child to say it handles it), so a loaded collectors process lost its graceful stop
  group.start({ name: "collectors", command: process.execPath, args: ["--import", "tsx", path.join(root, "collectors", "main.ts")], restart: true });
  // the collectors first: once they answer, the OTLP receivers listen, so the demo's first spans are not refused, and
  // a dashboard that answers means the whole stack is collecting
  await waitForOk("collectors", `http://127.0.0.1:${config.COLLECTORS_PORT}/healthz`, 90_000).catch(async (e: unknown) => {
    await group.stopAll();
    throw e;
  });
  group.start({
    name: "demo",
    command: bin("tsx"),
    args: [path.join(root, "demo", "run.ts")],
    env: {
      KAFKA_BROKERS: kafka.brokers.join(","),
      RABBITMQ_URL: rabbit.amqpUrl,
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `http://127.0.0.1:${config.OTLP_HTTP_PORT}/v1/traces`,
      KAFKAJS_NO_PARTITIONER_WARNING: "1",
    },
    restart: true,
  });
  group.start({
    name: "dashboard",
    command: bin("next"),
    args: ["start", "-p", String(port)],
    cwd: root,
    // open mode (the default) gives everyone admin in the demo so every control works; the header says so
    env: { NEXT_TELEMETRY_DISABLED: "1", AUTH_OPEN_ROLE: process.env.AUTH_OPEN_ROLE || "admin" },
    restart: true,
  });

  await waitForOk("dashboard", `${url}/api/v1/health`, 120_000);
  console.log(`
  Switchyard is running: ${url}
    OTLP/HTTP receiver   http://127.0.0.1:${config.OTLP_HTTP_PORT}/v1/traces
    OTLP/gRPC receiver   127.0.0.1:${config.OTLP_GRPC_PORT}
    collectors metrics   http://127.0.0.1:${config.COLLECTORS_PORT}/metrics
    demo order service   POST http://127.0.0.1:${process.env.DEMO_ORDER_PORT ?? 4100}/orders
  Ctrl-C stops it.
`);
}

main().catch((e: unknown) => {
  console.error(`demo: ${errorMessage(e)}`);
  process.exit(1);
});
