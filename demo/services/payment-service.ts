import "../otel";
import amqp from "amqplib";
import { loadKnobs } from "../knobs";
import { orderSchema } from "../order";
import { topology } from "../topology";
import { lifecycle, runService } from "../service";

/**
 * Consumes shop.payments.requests with manual acks. A transient gateway failure is retried by republishing with
 * x-retry-count + 1 and the error in x-last-error; past DEMO_MAX_RETRIES, or on a declined card, the message is
 * rejected without requeue and RabbitMQ dead-letters it through shop.dlx into shop.payments.requests.dlq.
 */
const knobs = loadKnobs();
let conn: amqp.ChannelModel;

async function main() {
  conn = await amqp.connect(knobs.RABBITMQ_URL);
  conn.on("error", (e) => console.error(`payment-service: ${e.message}`));
  conn.on("close", () => {
    if (lifecycle.stopping) return;
    console.error("payment-service: connection closed, exiting to be restarted");
    process.exit(1);
  });
  const ch = await conn.createConfirmChannel();
  await ch.prefetch(10);
  await ch.consume(topology.rabbit.paymentsQueue, async (msg) => {
    if (!msg) return;
    const headers = msg.properties.headers ?? {};
    const retries = Number(headers["x-retry-count"] ?? 0) || 0;
    let order;
    try {
      order = orderSchema.parse(JSON.parse(msg.content.toString("utf8")));
    } catch {
      ch.nack(msg, false, false);
      return;
    }
    const replayed = headers["x-switchyard-replay-id"] !== undefined;
    if (order.fail === "payment-declined" && (knobs.DEMO_DECLINES === "on" || (knobs.DEMO_DECLINES === "first" && !replayed))) {
      console.log(`payment-service: ${order.orderId} card declined, dead-lettering`);
      ch.nack(msg, false, false);
      return;
    }
    if (Math.random() < knobs.DEMO_FLAKY_RATE) {
      if (retries >= knobs.DEMO_MAX_RETRIES) {
        console.log(`payment-service: ${order.orderId} gave up after ${retries} retries, dead-lettering`);
        ch.nack(msg, false, false);
        return;
      }
      ch.publish(topology.rabbit.paymentsExchange, topology.rabbit.paymentRoutingKey, msg.content, {
        ...msg.properties,
        headers: { ...headers, "x-retry-count": retries + 1, "x-last-error": "payment gateway timeout" },
      });
      await ch.waitForConfirms();
      ch.ack(msg);
      return;
    }
    ch.publish(topology.rabbit.notificationsExchange, "payment.captured", Buffer.from(JSON.stringify({ orderId: order.orderId, customer: order.customer, amountCents: order.amountCents })), {
      persistent: true,
      messageId: `${order.orderId}-captured`,
      contentType: "application/json",
      headers: { "x-order-id": order.orderId },
    });
    await ch.waitForConfirms();
    ch.ack(msg);
  });
  console.log("payment-service: consuming", topology.rabbit.paymentsQueue);
}

runService("payment-service", main, async () => {
  await conn?.close().catch(() => undefined);
});
