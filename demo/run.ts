/**
 * `npm run demo:services`: the demo shop on the real brokers, each service its own process with its own
 * OpenTelemetry service name. `npm run demo` starts this together with the rest of Switchyard.
 */
import path from "node:path";
import { ProcGroup } from "../scripts/lib/procs";
import { loadKnobs } from "./knobs";
import { ensureTopology } from "./setup";

const services = ["order-service", "inventory-service", "payment-service", "notification-service", "analytics-service", "traffic"];

async function main() {
  const knobs = loadKnobs();
  await ensureTopology(knobs.KAFKA_BROKERS.split(","), knobs.RABBITMQ_URL);
  console.log("demo: topics, exchanges and queues ready");
  const group = new ProcGroup();
  const tsx = path.join(__dirname, "..", "node_modules", ".bin", "tsx");
  for (const s of services) {
    group.start({ name: s, command: tsx, args: [path.join(__dirname, "services", `${s}.ts`)], env: { OTEL_SERVICE_NAME: s }, restart: true });
  }
  const stop = async () => {
    await group.stopAll();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop());
  process.on("SIGTERM", () => void stop());
}

main().catch((e) => {
  console.error(`demo: ${(e as Error).message}`);
  process.exit(1);
});
