import { describe, expect, it } from "vitest";
import { rabbitDeadLetterRow } from "./dead-letter-record";
import { amqpValueToJson, parseDeath, rabbitDedupKey } from "./x-death";

const ts = (s: number) => ({ "!": "timestamp", value: s });

describe("parseDeath", () => {
  it("reads x-death (most recent first) and the first-death headers", () => {
    const d = parseDeath({
      "x-death": [
        { count: 2, reason: "expired", queue: "retry.wait", time: ts(1_700_000_100), exchange: "retry", "routing-keys": ["orders.retry"] },
        { count: 1, reason: "rejected", queue: "orders", time: ts(1_700_000_000), exchange: "shop", "routing-keys": ["order.created"] },
      ],
      "x-first-death-queue": "orders",
      "x-first-death-reason": "rejected",
      "x-first-death-exchange": "shop",
      traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    });
    expect(d).toMatchObject({
      reason: "expired",
      originalQueue: "orders",
      originalExchange: "shop",
      originalRoutingKey: "order.created",
      deathCount: 3,
      traceId: "0af7651916cd43dd8448eb211c80319c",
    });
    expect(d.firstDeadAt?.toISOString()).toBe("2023-11-14T22:13:20.000Z");
    expect(d.lastDeadAt?.toISOString()).toBe("2023-11-14T22:15:00.000Z");
  });

  it("derives the routing key of a message sent through the default exchange", () => {
    const d = parseDeath({ "x-death": [{ count: 1, reason: "maxlen", queue: "work", time: ts(1), exchange: "", "routing-keys": ["work"] }], "x-first-death-exchange": "" });
    expect(d).toMatchObject({ originalExchange: "", originalRoutingKey: "work", reason: "maxlen" });
  });

  it("reads MassTransit's and our services' error headers and the quorum delivery count", () => {
    expect(parseDeath({ "MT-Fault-ExceptionType": "System.TimeoutException", "MT-Fault-Message": "timed out", "MT-Fault-StackTrace": "at X", "x-delivery-count": 5 })).toMatchObject({
      errorType: "System.TimeoutException",
      errorMessage: "timed out",
      stacktrace: "at X",
      deliveryCount: 5,
    });
    expect(parseDeath({ "x-last-error": "payment gateway timeout" }).errorMessage).toBe("payment gateway timeout");
  });

  it("ignores malformed entries instead of trusting them", () => {
    const d = parseDeath({ "x-death": [{ reason: 42 }, "junk", { queue: "q", reason: "rejected", count: "x", time: "nope" }] });
    expect(d.deaths).toHaveLength(1);
    expect(d).toMatchObject({ originalQueue: "q", reason: "rejected", deathCount: 1, firstDeadAt: null });
    expect(parseDeath(undefined)).toMatchObject({ reason: null, originalQueue: null, deathCount: 0 });
  });
});

describe("rabbitDedupKey", () => {
  const death = parseDeath({ "x-death": [{ count: 1, reason: "rejected", queue: "q", time: ts(100) }] });
  it("uses the message id when there is one, else a content hash, plus first death time and count", () => {
    expect(rabbitDedupKey("m-1", Buffer.from("a"), death)).toBe("id:m-1|100000|q|1");
    expect(rabbitDedupKey(null, Buffer.from("a"), death)).toBe(rabbitDedupKey(undefined, Buffer.from("a"), death));
    expect(rabbitDedupKey(null, Buffer.from("a"), death)).not.toBe(rabbitDedupKey(null, Buffer.from("b"), death));
    const again = parseDeath({ "x-death": [{ count: 2, reason: "rejected", queue: "q", time: ts(100) }] });
    expect(rabbitDedupKey("m-1", Buffer.from("a"), again)).not.toBe(rabbitDedupKey("m-1", Buffer.from("a"), death));
  });
});

describe("rabbitDeadLetterRow", () => {
  it("keeps bytes, caps them at the maximum, and turns AMQP values into JSON", () => {
    const row = rabbitDeadLetterRow(
      {
        broker: "b",
        vhost: "/",
        queue: "q.dlq",
        content: Buffer.from([1, 2, 3, 4, 5]),
        fields: { exchange: "dlx", routingKey: "q", redelivered: false },
        properties: { messageId: "m", timestamp: 1_700_000_000, headers: { "x-death": [{ count: 1, reason: "rejected", queue: "q", time: ts(5) }], bin: Buffer.from([0]) } },
      },
      3,
    );
    expect(row).toMatchObject({ system: "rabbitmq", source: "q.dlq", payloadSize: 5, payloadTruncated: true, reason: "rejected", originalDestination: "q", deathCount: 1 });
    expect([...row.payload]).toEqual([1, 2, 3]);
    expect(row.headers).toMatchObject({ bin: { base64: "AA==" }, "x-death": [{ time: "1970-01-01T00:00:05.000Z" }] });
    expect(amqpValueToJson({ "!": "decimal", value: { places: 2, digits: 1234 } })).toBe(12.34);
  });
});
