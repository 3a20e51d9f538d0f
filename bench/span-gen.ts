/**
 * Synthetic traffic for the trace benchmarks, shaped like the demo's: an order accepted over HTTP, written to the
 * database, published to Kafka, processed by inventory, handed to payment over RabbitMQ, a charge over HTTP; an
 * analytics batch consumer in a trace of its own that links back to the Kafka publish; 2% of payments failing with
 * an exception event. Spans are the SDK's own `ReadableSpan`s, batched per service as a BatchSpanProcessor batches
 * them, and serialized by the SDK's OTLP protobuf serializer (`@opentelemetry/otlp-transformer`): the bytes an
 * application's `OTLPTraceExporter` (proto) sends.
 */
import { randomBytes } from "node:crypto";
import { SpanKind, SpanStatusCode, type Attributes, type HrTime, type Link, type SpanContext } from "@opentelemetry/api";
import { resourceFromAttributes, type Resource } from "@opentelemetry/resources";
import type { ReadableSpan, TimedEvent } from "@opentelemetry/sdk-trace";
import { ProtobufTraceSerializer } from "@opentelemetry/otlp-transformer";

const services = ["order-service", "inventory-service", "payment-service", "analytics-service"] as const;
type Service = (typeof services)[number];

const resources = new Map<Service, Resource>(
  services.map((s, i) => [
    s,
    resourceFromAttributes({
      "service.name": s,
      "service.version": "1.4.2",
      "service.instance.id": `${s}-7d9c6b-${i}`,
      "telemetry.sdk.name": "opentelemetry",
      "telemetry.sdk.language": "nodejs",
      "telemetry.sdk.version": "3.1.0",
      "host.name": "shop-node-3",
      "host.arch": "amd64",
      "process.pid": 4242 + i,
      "process.runtime.name": "nodejs",
      "process.runtime.version": "20.20.0",
      "process.executable.name": "node",
    }),
  ]),
);
const scopes: Record<string, { name: string; version: string }> = {
  http: { name: "@opentelemetry/instrumentation-http", version: "0.301.0" },
  kafka: { name: "@opentelemetry/instrumentation-kafkajs", version: "0.33.0" },
  amqp: { name: "@opentelemetry/instrumentation-amqplib", version: "0.71.0" },
  pg: { name: "@opentelemetry/instrumentation-pg", version: "0.60.0" },
};

const hr = (ms: number): HrTime => [Math.floor(ms / 1000), Math.round((ms % 1000) * 1e6)];
const ctx = (traceId: string): SpanContext => ({ traceId, spanId: randomBytes(8).toString("hex"), traceFlags: 1 });

function span(
  service: Service,
  scope: keyof typeof scopes,
  c: SpanContext,
  parent: SpanContext | undefined,
  name: string,
  kind: SpanKind,
  startMs: number,
  durMs: number,
  attributes: Attributes,
  extra: { error?: string; links?: Link[]; events?: TimedEvent[] } = {},
): ReadableSpan {
  return {
    name,
    kind,
    spanContext: () => c,
    parentSpanContext: parent,
    startTime: hr(startMs),
    endTime: hr(startMs + durMs),
    duration: hr(durMs),
    status: extra.error ? { code: SpanStatusCode.ERROR, message: extra.error } : { code: SpanStatusCode.UNSET },
    attributes,
    links: extra.links ?? [],
    events: extra.events ?? [],
    ended: true,
    resource: resources.get(service)!,
    instrumentationScope: scopes[scope]!,
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  };
}

/** One order's spans (7, plus 1 analytics span in a linked trace of its own), starting at `startMs`. */
export function orderTrace(n: number, startMs: number): ReadableSpan[] {
  const traceId = randomBytes(16).toString("hex");
  const orderId = `ord-${n}`;
  const failed = n % 50 === 7;
  const root = ctx(traceId);
  const db = ctx(traceId);
  const pub = ctx(traceId);
  const inv = ctx(traceId);
  const pubPay = ctx(traceId);
  const pay = ctx(traceId);
  const charge = ctx(traceId);
  const offset = n;
  const out: ReadableSpan[] = [
    span("order-service", "http", root, undefined, "POST /orders", SpanKind.SERVER, startMs, 18 + (n % 13), {
      "http.request.method": "POST",
      "http.route": "/orders",
      "url.path": "/orders",
      "url.scheme": "http",
      "server.address": "order-service",
      "server.port": 8080,
      "network.protocol.version": "1.1",
      "user_agent.original": "shop-web/2.3",
      "http.response.status_code": 202,
      "order.id": orderId,
    }),
    span("order-service", "pg", db, root, "INSERT shop", SpanKind.CLIENT, startMs + 1, 3, {
      "db.system.name": "postgresql",
      "db.namespace": "shop",
      "db.query.text": "insert into orders (id, customer_id, total) values ($1, $2, $3)",
      "server.address": "postgres",
      "server.port": 5432,
    }),
    span("order-service", "kafka", pub, root, "send shop.orders", SpanKind.PRODUCER, startMs + 5, 4, {
      "messaging.system": "kafka",
      "messaging.operation.type": "send",
      "messaging.destination.name": "shop.orders",
      "messaging.kafka.message.key": orderId,
      "messaging.message.id": `${orderId}-m`,
    }),
    span("inventory-service", "kafka", inv, pub, "process shop.orders", SpanKind.CONSUMER, startMs + 40 + (n % 200), 12 + (n % 7), {
      "messaging.system": "kafka",
      "messaging.operation.type": "process",
      "messaging.destination.name": "shop.orders",
      "messaging.consumer.group.name": "inventory",
      "messaging.destination.partition.id": String(n % 12),
      "messaging.kafka.offset": offset,
      "messaging.kafka.message.key": orderId,
      "messaging.message.id": `${orderId}-m`,
    }),
    span("inventory-service", "amqp", pubPay, inv, "publish payments", SpanKind.PRODUCER, startMs + 50 + (n % 200), 2, {
      "messaging.system": "rabbitmq",
      "messaging.operation.type": "publish",
      "messaging.destination.name": "payments",
      "messaging.rabbitmq.destination.routing_key": "payments.requests",
      "messaging.message.id": `${orderId}-p`,
      "net.peer.name": "rabbitmq",
      "net.peer.port": 5672,
    }),
    span(
      "payment-service",
      "amqp",
      pay,
      pubPay,
      "process payments.requests",
      SpanKind.CONSUMER,
      startMs + 60 + (n % 300),
      25 + (n % 40),
      {
        "messaging.system": "rabbitmq",
        "messaging.operation.type": "process",
        "messaging.destination.name": "payments.requests",
        "messaging.rabbitmq.destination.routing_key": "payments.requests",
        "messaging.message.id": `${orderId}-p`,
      },
      failed
        ? {
            error: "card declined",
            events: [
              {
                name: "exception",
                time: hr(startMs + 80),
                attributes: { "exception.type": "CardDeclinedError", "exception.message": "card declined", "exception.stacktrace": "CardDeclinedError: card declined\n    at charge (payment.ts:42:11)\n    at handle (payment.ts:18:5)" },
              },
            ],
          }
        : {},
    ),
    span("payment-service", "http", charge, pay, "POST", SpanKind.CLIENT, startMs + 62 + (n % 300), 20 + (n % 30), {
      "http.request.method": "POST",
      "url.full": "http://psp.internal/charge",
      "server.address": "psp.internal",
      "server.port": 80,
      "http.response.status_code": failed ? 402 : 200,
    }),
  ];
  // the analytics consumer reads in batches: a trace of its own, linked to the publish (instrumentation-kafkajs does this)
  const a = ctx(randomBytes(16).toString("hex"));
  out.push(
    span("analytics-service", "kafka", a, undefined, "process shop.orders", SpanKind.CONSUMER, startMs + 2000 + (n % 5000), 3, {
      "messaging.system": "kafka",
      "messaging.operation.type": "process",
      "messaging.destination.name": "shop.orders",
      "messaging.consumer.group.name": "analytics-slow",
      "messaging.batch.message_count": 1,
    }, { links: [{ context: pub, attributes: {} }] }),
  );
  return out;
}

export const spansPerOrder = 8;

/**
 * Export bodies of `batch` spans each (one service's batch, as its BatchSpanProcessor sends), for `orders` orders
 * spread evenly over [fromMs, toMs). A service's partly filled batch at the end is sent too.
 */
export function* exportBodies(orders: number, batch: number, fromMs: number, toMs: number): Generator<Uint8Array> {
  const pending = new Map<Service, ReadableSpan[]>(services.map((s) => [s, []]));
  const step = (toMs - fromMs) / orders;
  for (let n = 0; n < orders; n++) {
    for (const s of orderTrace(n, fromMs + n * step)) {
      const q = pending.get(s.resource.attributes["service.name"] as Service)!;
      q.push(s);
      if (q.length === batch) {
        yield ProtobufTraceSerializer.serializeRequest(q)!;
        q.length = 0;
      }
    }
  }
  for (const q of pending.values()) if (q.length) yield ProtobufTraceSerializer.serializeRequest(q)!;
}
