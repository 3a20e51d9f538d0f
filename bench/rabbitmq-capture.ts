/**
 * `npm run bench:rabbitmq-capture`: dead-letter capture throughput into Postgres. A dead-letter queue is filled with
 * BENCH_MESSAGES (default 50,000) dead letters carrying x-death headers (~300-byte JSON payloads), then the capture
 * (ack after insert) drains it; prints dead letters per second and how many are missing.
 */
import amqp from "amqplib";
import { DlqCapture } from "../collectors/rabbitmq/dlq-capture";
import { parseConfig } from "../lib/config/env";
import { benchDatabase } from "./lib";

const n = Number(process.env.BENCH_MESSAGES ?? 50_000);
const prefetch = Number(process.env.BENCH_PREFETCH ?? 1000);

async function main() {
  const config = parseConfig(process.env);
  const broker = config.RABBITMQ_BROKERS[0]!;
  const run = Date.now().toString(36);
  // a name outside the default dead-letter patterns, so a running demo's collectors do not consume it too
  const queue = `bench-capture-${run}`;
  const conn = await amqp.connect(broker.amqpUrl);
  const ch = await conn.createConfirmChannel();
  await ch.assertQueue(queue, { durable: true });
  const { handle, drop } = await benchDatabase(config.DATABASE_URL, run);
  try {
    const now = Math.floor(Date.now() / 1000);
    for (let i = 0; i < n; i++) {
      ch.sendToQueue(queue, Buffer.from(JSON.stringify({ orderId: `ord-${i}`, customer: `c-${i % 500}`, items: [{ sku: "kettle", qty: 1 }], note: "x".repeat(200) })), {
        persistent: true,
        messageId: `bench-${run}-${i}`,
        headers: {
          "x-death": [{ count: 1, reason: "rejected", queue: "orders", time: { "!": "timestamp", value: now }, exchange: "shop", "routing-keys": ["order.created"] }],
          "x-first-death-queue": "orders",
          "x-first-death-reason": "rejected",
          "x-first-death-exchange": "shop",
          traceparent: `00-${(i + 1).toString(16).padStart(32, "0")}-00f067aa0ba902b7-01`,
        },
      });
      if (i % 5000 === 4999) await ch.waitForConfirms();
    }
    await ch.waitForConfirms();
    console.log(`queued ${n} dead letters in ${queue}; capturing with prefetch ${prefetch}...`);
    const capture = new DlqCapture(broker, { mode: "capture", prefetch, maxBytes: config.DEAD_LETTER_MAX_BYTES }, handle.db, console.log);
    const started = performance.now();
    await capture.sync([{ vhost: "/", name: queue, type: "classic", sources: ["orders"] }]);
    let rows = 0;
    for (;;) {
      rows = Number((await handle.pool.query("select count(*)::int n from dead_letters")).rows[0].n);
      const left = (await ch.checkQueue(queue)).messageCount;
      if (rows >= n && left === 0) break;
      if (performance.now() - started > 300_000) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const secs = (performance.now() - started) / 1000;
    await capture.stop();
    console.log(`captured ${rows} of ${n} in ${secs.toFixed(1)} s: ${Math.round(rows / secs)} dead letters/s; missing ${n - rows}; left in the queue ${(await ch.checkQueue(queue)).messageCount}`);
  } finally {
    await ch.deleteQueue(queue).catch(() => undefined);
    await conn.close();
    await drop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
