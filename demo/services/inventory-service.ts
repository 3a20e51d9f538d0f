import "../otel";
import amqp from "amqplib";
import { Kafka, logLevel, type KafkaMessage } from "kafkajs";
import { loadKnobs, sleep } from "../knobs";
import { orderSchema } from "../order";
import { topology } from "../topology";
import { springDltHeaders } from "../dlt";
import { lifecycle, runService } from "../service";

/**
 * Consumes shop.orders (group shop-inventory), reserves stock and asks for payment on RabbitMQ.
 * An order it cannot parse is retried in process, then published to shop.orders.DLT with the headers Spring Kafka's
 * DeadLetterPublishingRecoverer writes. Some orders are left unforwarded on purpose (a stalled workflow).
 */
const knobs = loadKnobs();
const kafka = new Kafka({ clientId: "inventory-service", brokers: knobs.KAFKA_BROKERS.split(","), logLevel: logLevel.WARN });
const consumer = kafka.consumer({ groupId: topology.kafka.inventoryGroup });
const dltProducer = kafka.producer();
let channel: amqp.ConfirmChannel;
let conn: amqp.ChannelModel;

class PoisonOrderError extends Error {
  override name = "com.example.shop.PoisonOrderException";
}

function parse(message: KafkaMessage) {
  let raw: unknown;
  try {
    raw = JSON.parse(message.value?.toString("utf8") ?? "");
  } catch (e) {
    throw new PoisonOrderError(`order is not valid JSON: ${(e as Error).message}`);
  }
  const r = orderSchema.safeParse(raw);
  if (!r.success) throw new PoisonOrderError(`order failed validation: ${r.error.issues[0]?.message ?? "invalid"}`);
  return r.data;
}

async function main() {
  conn = await amqp.connect(knobs.RABBITMQ_URL);
  conn.on("error", (e) => console.error(`inventory-service: rabbitmq: ${e.message}`));
  conn.on("close", () => {
    if (lifecycle.stopping) return;
    console.error("inventory-service: rabbitmq connection closed, exiting to be restarted");
    process.exit(1);
  });
  channel = await conn.createConfirmChannel();
  await dltProducer.connect();
  await consumer.connect();
  await consumer.subscribe({ topic: topology.kafka.orders, fromBeginning: false });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      let lastError: Error | null = null;
      for (let attempt = 0; attempt <= knobs.DEMO_MAX_RETRIES; attempt++) {
        try {
          const order = parse(message);
          if (Math.random() < knobs.DEMO_STALL_RATE) {
            console.log(`inventory-service: ${order.orderId} stalled (left pending on purpose)`);
            return;
          }
          channel.publish(topology.rabbit.paymentsExchange, topology.rabbit.paymentRoutingKey, Buffer.from(JSON.stringify(order)), {
            persistent: true,
            messageId: order.orderId,
            contentType: "application/json",
            headers: { "x-order-id": order.orderId, "x-retry-count": 0 },
          });
          await channel.waitForConfirms();
          return;
        } catch (e) {
          lastError = e as Error;
          if (!(e instanceof PoisonOrderError)) throw e; // broker trouble: let kafkajs retry the batch
          await sleep(50 * 2 ** attempt);
        }
      }
      const err = lastError ?? new Error("unknown");
      await dltProducer.send({
        topic: topology.kafka.ordersDlt,
        messages: [
          {
            key: message.key,
            value: message.value,
            headers: { ...message.headers, ...springDltHeaders({ topic, partition, message, groupId: topology.kafka.inventoryGroup, error: err }) },
          },
        ],
      });
      console.log(`inventory-service: offset ${partition}/${message.offset} dead-lettered to ${topology.kafka.ordersDlt}: ${err.message}`);
    },
  });
  console.log("inventory-service: consuming", topology.kafka.orders);
}

runService("inventory-service", main, async () => {
  await consumer.disconnect().catch(() => undefined);
  await dltProducer.disconnect().catch(() => undefined);
  await conn?.close().catch(() => undefined);
});
