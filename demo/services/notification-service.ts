import "../otel";
import amqp from "amqplib";
import { loadKnobs } from "../knobs";
import { topology } from "../topology";
import { lifecycle, runService } from "../service";

/** Consumes shop.notifications.email and "sends" the receipt. The last step of an order's workflow. */
const knobs = loadKnobs();
let conn: amqp.ChannelModel;
let sent = 0;

async function main() {
  conn = await amqp.connect(knobs.RABBITMQ_URL);
  conn.on("error", (e) => console.error(`notification-service: ${e.message}`));
  conn.on("close", () => {
    if (lifecycle.stopping) return;
    console.error("notification-service: connection closed, exiting to be restarted");
    process.exit(1);
  });
  const ch = await conn.createChannel();
  await ch.prefetch(20);
  await ch.consume(topology.rabbit.notificationsQueue, (msg) => {
    if (!msg) return;
    sent++;
    if (sent % 50 === 0) console.log(`notification-service: ${sent} receipts sent`);
    ch.ack(msg);
  });
  console.log("notification-service: consuming", topology.rabbit.notificationsQueue);
}

runService("notification-service", main, async () => {
  await conn?.close().catch(() => undefined);
});
