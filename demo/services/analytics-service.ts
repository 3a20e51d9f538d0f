import "../otel";
import { Kafka, logLevel } from "kafkajs";
import { loadKnobs, sleep } from "../knobs";
import { topology } from "../topology";
import { runService } from "../service";

/** A deliberately slow consumer group on shop.orders: DEMO_SLOW_MS per message, so its lag grows under load. */
const knobs = loadKnobs();
const kafka = new Kafka({ clientId: "analytics-service", brokers: knobs.KAFKA_BROKERS.split(","), logLevel: logLevel.WARN });
// Small fetches, so it works through every partition in turn instead of one large batch at a time.
const consumer = kafka.consumer({ groupId: topology.kafka.analyticsGroup, sessionTimeout: 60_000, heartbeatInterval: 3_000, maxBytesPerPartition: 2048 });

async function main() {
  await consumer.connect();
  await consumer.subscribe({ topic: topology.kafka.orders, fromBeginning: true });
  await consumer.run({
    partitionsConsumedConcurrently: 1,
    // commit every few seconds, not only when a whole batch is done, so the group visibly moves while it falls behind
    autoCommitInterval: 5_000,
    eachMessage: async ({ heartbeat }) => {
      await sleep(knobs.DEMO_SLOW_MS);
      await heartbeat();
    },
  });
  console.log(`analytics-service: consuming ${topology.kafka.orders} slowly (${knobs.DEMO_SLOW_MS} ms per message)`);
}

runService("analytics-service", main, async () => {
  await consumer.disconnect().catch(() => undefined);
});
