import { Kafka, logLevel } from "kafkajs";

/**
 * Known data for the e2e run: a topic with back-dated records and a consumer group whose committed offsets sit
 * behind the end (600 messages of lag), like a consumer that stopped.
 */
export const e2eRun = process.env.E2E_RUN ?? String(Date.now());

export default async function globalSetup() {
  process.env.E2E_RUN = e2eRun;
  const kafka = new Kafka({ clientId: "e2e-setup", brokers: (process.env.E2E_KAFKA ?? "127.0.0.1:9092").split(","), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const topic = `e2e.lag.${e2eRun}`;
  await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
  const producer = kafka.producer();
  await producer.connect();
  for (let p = 0; p < 3; p++) {
    await producer.send({ topic, messages: Array.from({ length: 300 }, (_, i) => ({ partition: p, value: `v${i}`, timestamp: String(Date.now() - 600_000 + i * 1000) })) });
  }
  await producer.disconnect();
  await admin.setOffsets({ groupId: `e2e-lagging-${e2eRun}`, topic, partitions: [0, 1, 2].map((partition) => ({ partition, offset: String(partition * 100) })) });

  // a hostile dead letter: markup in the payload and in a header must reach the page as text
  const dlt = `e2e-${e2eRun}.DLT`;
  await admin.createTopics({ topics: [{ topic: dlt, numPartitions: 1 }], waitForLeaders: true });
  const p2 = kafka.producer();
  await p2.connect();
  await p2.send({
    topic: dlt,
    messages: [
      {
        key: "hostile",
        value: `<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>`,
        headers: { "x-original-topic": "orders", "x-error": `<b onmouseover="window.__xss=3">bold</b>` },
      },
    ],
  });
  // dead letters to find by free text: one order id only in the key, one only in a header, one only in the payload
  const search = `e2e-search-${e2eRun}.DLT`;
  await admin.createTopics({ topics: [{ topic: search, numPartitions: 1 }], waitForLeaders: true });
  await p2.send({
    topic: search,
    messages: [
      { key: `KEY-${e2eRun}`, value: `{"note":"nothing here"}`, headers: { "x-original-topic": "orders" } },
      { key: null, value: `{"note":"nothing here either"}`, headers: { "x-original-topic": "orders", "x-order-id": `HDR-${e2eRun}` } },
      { key: null, value: `{"orderId":"PAY-${e2eRun}","qty":2}`, headers: { "x-original-topic": "orders" } },
    ],
  });
  await p2.disconnect();
  await admin.disconnect();
}
