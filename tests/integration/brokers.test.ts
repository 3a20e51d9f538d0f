import amqp from "amqplib";
import { Kafka, logLevel } from "kafkajs";
import { describe, expect, it } from "vitest";
import { probeKafka, probePostgres, probeRabbitAmqp, probeRabbitManagement } from "../../collectors/sources/probes";
import { config, waitUntil } from "./helpers";

/** The stack `npm run infra` brings up really works: produce/consume on Kafka, publish/consume on RabbitMQ. */
describe("infrastructure", () => {
  const cluster = config.KAFKA_CLUSTERS[0]!;
  const broker = config.RABBITMQ_BROKERS[0]!;

  it("Kafka accepts produce and consume through kafkajs", async () => {
    const kafka = new Kafka({ clientId: "it-brokers", brokers: cluster.brokers, logLevel: logLevel.NOTHING });
    const topic = `it.brokers.${Date.now()}`;
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
    const producer = kafka.producer();
    await producer.connect();
    const sent = Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: `v${i}` }));
    await producer.send({ topic, messages: sent });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: `it-brokers-${Date.now()}` });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const got: string[] = [];
    await consumer.run({ eachMessage: async ({ message }) => void got.push(message.value!.toString()) });
    await waitUntil("20 records consumed", async () => got.length >= 20, 30_000);
    await consumer.disconnect();
    expect(got.sort()).toEqual(sent.map((m) => m.value).sort());
    await admin.deleteTopics({ topics: [topic] });
    await admin.disconnect();
  });

  it("RabbitMQ accepts publish and consume through amqplib", async () => {
    const conn = await amqp.connect(broker.amqpUrl);
    const ch = await conn.createConfirmChannel();
    const q = `it.brokers.${Date.now()}`;
    await ch.assertQueue(q, { durable: false, autoDelete: false });
    for (let i = 0; i < 10; i++) ch.sendToQueue(q, Buffer.from(`m${i}`), { headers: { n: i } });
    await ch.waitForConfirms();
    const got: string[] = [];
    await ch.consume(q, (m) => {
      if (!m) return;
      got.push(`${m.content.toString()}:${m.properties.headers?.n}`);
      ch.ack(m);
    });
    await waitUntil("10 messages consumed", async () => got.length >= 10, 10_000);
    expect(got).toEqual(Array.from({ length: 10 }, (_, i) => `m${i}:${i}`));
    await ch.deleteQueue(q);
    await conn.close();
  });

  it("the readiness probes pass against the real servers and name what fails", async () => {
    await expect(probeKafka(cluster)).resolves.toMatchObject({ brokers: 1 });
    await expect(probeRabbitAmqp(broker)).resolves.toBeUndefined();
    await expect(probeRabbitManagement(broker)).resolves.toMatchObject({ version: expect.any(String) });
    await expect(probePostgres(config.DATABASE_URL)).resolves.toBeUndefined();
    await expect(probeRabbitAmqp({ ...broker, name: "badpw", amqpUrl: "amqp://guest:nope@127.0.0.1:5672" })).rejects.toThrow(
      /RabbitMQ broker 'badpw' \(AMQP\): access refused: wrong user or password/,
    );
    await expect(probeRabbitManagement({ ...broker, name: "badpw", managementPassword: "nope" })).rejects.toThrow(/'badpw' management API: 401/);
    await expect(probeKafka({ name: "nowhere", brokers: ["127.0.0.1:1"] }, 1000)).rejects.toThrow(/Kafka cluster 'nowhere'.*connection refused/);
  });
});
