/**
 * `npm run infra`: brings up what is missing of the local stack (Postgres, RabbitMQ with its management plugin,
 * Apache Kafka in KRaft mode) and leaves what already runs; waits until each answers.
 * `npm run infra:stop`: stops the Kafka broker it started (Postgres and RabbitMQ belong to the machine).
 */
import { loadConfig } from "../lib/config/env";
import { errorMessage } from "../lib/errors";
import { stopKafka } from "./infra/kafka";
import { infraUp } from "./infra/up";

async function main(): Promise<void> {
  const config = loadConfig();
  if (process.argv.includes("--stop")) await stopKafka();
  else await infraUp(config);
}

main().catch((e: unknown) => {
  console.error(`infra: ${errorMessage(e)}`);
  process.exit(1);
});
