import amqp from "amqplib";
import { Kafka, logLevel } from "kafkajs";
import { topology } from "./topology";

/** Creates the shop's topics, exchanges, queues and bindings (idempotent). */
export async function ensureTopology(kafkaBrokers: string[], rabbitUrl: string): Promise<void> {
  const kafka = new Kafka({ clientId: "demo-setup", brokers: kafkaBrokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        { topic: topology.kafka.orders, numPartitions: 3, replicationFactor: 1 },
        { topic: topology.kafka.ordersDlt, numPartitions: 3, replicationFactor: 1 },
      ],
    });
  } finally {
    await admin.disconnect();
  }

  const r = topology.rabbit;
  const conn = await amqp.connect(rabbitUrl);
  try {
    const ch = await conn.createChannel();
    await ch.assertExchange(r.dlx, "direct", { durable: true });
    await ch.assertQueue(r.paymentsDlq, { durable: true });
    await ch.bindQueue(r.paymentsDlq, r.dlx, r.paymentsQueue);
    await ch.assertExchange(r.paymentsExchange, "direct", { durable: true });
    await ch.assertQueue(r.paymentsQueue, {
      durable: true,
      arguments: { "x-dead-letter-exchange": r.dlx, "x-dead-letter-routing-key": r.paymentsQueue },
    });
    await ch.bindQueue(r.paymentsQueue, r.paymentsExchange, r.paymentRoutingKey);
    await ch.assertExchange(r.notificationsExchange, "topic", { durable: true });
    await ch.assertQueue(r.notificationsQueue, { durable: true });
    await ch.bindQueue(r.notificationsQueue, r.notificationsExchange, "payment.*");
    await ch.close();
  } finally {
    await conn.close();
  }
}
