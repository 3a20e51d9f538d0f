import "../otel";
import http from "node:http";
import { randomUUID } from "node:crypto";
import { Kafka, logLevel, type Producer } from "kafkajs";
import { loadKnobs } from "../knobs";
import { newOrderSchema, type Order } from "../order";
import { topology } from "../topology";
import { runService } from "../service";

/** HTTP POST /orders → Kafka topic shop.orders (key: order id). */
const knobs = loadKnobs();
const kafka = new Kafka({ clientId: "order-service", brokers: knobs.KAFKA_BROKERS.split(","), logLevel: logLevel.WARN });
const producer: Producer = kafka.producer({ allowAutoTopicCreation: false });

function json(res: http.ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

async function readJson(req: http.IncomingMessage): Promise<unknown> {
  let raw = "";
  for await (const c of req) {
    raw += c;
    if (raw.length > 64 * 1024) throw new Error("body too large");
  }
  return JSON.parse(raw);
}

const server = http.createServer(async (req, res) => {
  if (req.method !== "POST" || req.url !== "/orders") return json(res, 404, { error: { code: "not_found", message: "POST /orders" } });
  let body: unknown;
  try {
    body = await readJson(req);
  } catch (e) {
    return json(res, 400, { error: { code: "invalid_request", message: `body is not JSON: ${(e as Error).message}` } });
  }
  const parsed = newOrderSchema.safeParse(body);
  if (!parsed.success) return json(res, 400, { error: { code: "invalid_request", message: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ") } });
  const order: Order = { orderId: `ord-${randomUUID().slice(0, 13)}`, ...parsed.data };
  try {
    // A poison order carries a body the inventory service cannot parse, as a real poison message would.
    const value = order.fail === "inventory" ? `{"orderId":"${order.orderId}","sku":${JSON.stringify(order.sku)},"qty":"many"` : JSON.stringify(order);
    await producer.send({
      topic: topology.kafka.orders,
      messages: [{ key: order.orderId, value, headers: { "x-order-id": order.orderId, "content-type": "application/json" } }],
    });
    json(res, 202, { orderId: order.orderId });
  } catch (e) {
    json(res, 503, { error: { code: "unavailable", message: `could not publish the order: ${(e as Error).message}` } });
  }
});

async function main() {
  await producer.connect();
  server.listen(knobs.DEMO_ORDER_PORT, "127.0.0.1", () => console.log(`order-service: POST http://127.0.0.1:${knobs.DEMO_ORDER_PORT}/orders`));
}

runService("order-service", main, async () => {
  server.close();
  await producer.disconnect().catch(() => undefined);
});
