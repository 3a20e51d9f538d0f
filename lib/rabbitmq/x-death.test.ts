import { describe, expect, it } from "vitest";
import { CONTENT_KEY_SUFFIX_LENGTH, rabbitDeadLetterRow, unreadableRabbitDeadLetter } from "./dead-letter-record";
import { AMQP_JSON_MAX_DEPTH, amqpValueToJson, parseDeath, rabbitContentKey, rabbitDedupKey } from "./x-death";

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

describe("rabbitDedupKey and rabbitContentKey", () => {
  const death = parseDeath({ "x-death": [{ count: 1, reason: "rejected", queue: "q", time: ts(100) }] });
  it("key a message id with its first death, and content by body, headers and properties", () => {
    expect(rabbitDedupKey("m-1", death)).toBe("id:m-1|100000|q|1");
    const again = parseDeath({ "x-death": [{ count: 2, reason: "rejected", queue: "q", time: ts(100) }] });
    expect(rabbitDedupKey("m-1", again)).not.toBe(rabbitDedupKey("m-1", death));
    const ck = (body: string, headers: Record<string, unknown> = {}, props: Record<string, unknown> = {}) => rabbitContentKey(Buffer.from(body), headers, props, death);
    expect(ck("a")).toMatch(/^sha256:[0-9a-f]{64}\|100000\|q\|1$/);
    expect(ck("a")).not.toBe(ck("b"));
    expect(ck("a", { "x-order": "1" })).not.toBe(ck("a", { "x-order": "2" }));
    expect(ck("a", {}, { correlationId: "c1" })).not.toBe(ck("a", {}, { correlationId: "c2" }));
    // what a redelivery may change, or a client's key order, does not change it
    expect(ck("a", { "x-delivery-count": 3, b: 1, a: { y: 1, x: 2 } })).toBe(ck("a", { a: { x: 2, y: 1 }, b: 1 }));
  });

  it("are Postgres-safe whatever the headers hold", () => {
    const nul = parseDeath({ "x-death": [{ count: 1, reason: "r", queue: "q\u0000\ud800", time: ts(1) }] });
    expect(rabbitContentKey(Buffer.from([0]), { "k\u0000": "\u0000" }, {}, nul)).not.toMatch(/\u0000|[\ud800-\udfff]/);
    expect(rabbitDedupKey("id\u0000", nul)).toBe("id:id\ufffd|1000|q\ufffd\ufffd|1");
  });
});

describe("rabbitDeadLetterRow", () => {
  it("keeps bytes, caps them at the maximum, and turns AMQP values into JSON", () => {
    const { row, kind } = rabbitDeadLetterRow(
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
    expect(kind).toBe("fixed");
    expect(row.capturePending).toBe(false);
  });

  const message = (redelivered: boolean, properties: Record<string, unknown> = {}) => ({
    broker: "b",
    vhost: "/",
    queue: "q.dlq",
    content: Buffer.from("same"),
    fields: { exchange: "dlx", routingKey: "q", redelivered },
    properties: { headers: { "x-death": [{ count: 1, reason: "rejected", queue: "q", time: ts(5) }] }, ...properties },
  });

  it("gives identical messages without an id distinct keys sharing one content key, pending until confirmed", () => {
    const a = rabbitDeadLetterRow(message(false), 100);
    const b = rabbitDeadLetterRow(message(false), 100);
    expect(a.kind).toBe("fresh");
    expect(a.contentKey).toBe(b.contentKey);
    expect(a.row.dedupKey).not.toBe(b.row.dedupKey);
    expect(a.row.dedupKey.startsWith(`${a.contentKey}#`)).toBe(true);
    expect(a.row.dedupKey.length - a.contentKey!.length).toBe(CONTENT_KEY_SUFFIX_LENGTH);
    expect(a.row.capturePending).toBe(true);
    const r = rabbitDeadLetterRow(message(true), 100);
    expect(r.kind).toBe("redelivered");
    expect(r.contentKey).toBe(a.contentKey);
    // with a message id the key is fixed: a redelivery conflicts on it
    const id1 = rabbitDeadLetterRow(message(true, { messageId: "m-1" }), 100);
    expect(id1).toMatchObject({ kind: "fixed", row: { dedupKey: rabbitDeadLetterRow(message(false, { messageId: "m-1" }), 100).row.dedupKey } });
    // a message id without x-death (republished to the DLQ by a recoverer) is keyed by content: each publish a row
    const bare = (redelivered: boolean) => ({ ...message(redelivered, { messageId: "m-2" }), properties: { messageId: "m-2", headers: {} } });
    const r1 = rabbitDeadLetterRow(bare(false), 100);
    const r2 = rabbitDeadLetterRow(bare(false), 100);
    expect(r1.kind).toBe("fresh");
    expect(r1.row.dedupKey).not.toBe(r2.row.dedupKey);
    expect(rabbitDeadLetterRow(bare(true), 100)).toMatchObject({ kind: "redelivered", contentKey: r1.contentKey });
    // a stream record is keyed by its offset
    expect(rabbitDeadLetterRow({ ...message(false), streamOffset: 42 }, 100)).toMatchObject({ kind: "fixed", row: { dedupKey: "stream:42", capturePending: false } });
  });

  it("keeps a message whose headers cannot be read as its bytes, with the reason", () => {
    const u = unreadableRabbitDeadLetter(message(false), 100, new RangeError("Maximum call stack size exceeded"));
    expect(u).toMatchObject({ kind: "fresh", row: { capturePending: true, captureError: expect.stringMatching(/call stack/) } });
    expect(u.row.payload.toString()).toBe("same");
  });
});

describe("hostile AMQP values", () => {
  it("amqpValueToJson cuts nesting, keeps odd numbers and bad times as values", () => {
    let deep: unknown = "leaf";
    for (let i = 0; i < 10_000; i++) deep = { d: deep };
    const out = JSON.stringify(amqpValueToJson({ deep }));
    expect(out).toContain(`nested deeper than ${AMQP_JSON_MAX_DEPTH} levels`);
    expect(out.length).toBeLessThan(2_000);
    expect(amqpValueToJson({ n: Number.NaN, i: Number.POSITIVE_INFINITY, big: 2n ** 70n })).toEqual({ n: "NaN", i: "Infinity", big: "1180591620717411303424" });
    expect(amqpValueToJson({ "!": "timestamp", value: 2 ** 60 })).toBe(2 ** 60);
    expect(amqpValueToJson(new Date(Number.NaN))).toBeNull();
  });

  it("parseDeath takes x-death of wrong types, huge counts and impossible times without failing", () => {
    const d = parseDeath({
      "x-death": [
        { queue: "q\u0000", reason: "rejected", count: 2 ** 40, time: { "!": "timestamp", value: 2 ** 52 } },
        { queue: 5, reason: null },
        "junk",
        null,
        { queue: "p", reason: "expired", count: -3, time: ts(10), "routing-keys": "not a list" },
      ],
      "x-first-death-queue": Buffer.from([0xff, 0xfe]),
      "x-delivery-count": "lots",
    });
    expect(d.deathCount).toBe(2 ** 31 - 1);
    expect(d.deaths).toHaveLength(2);
    expect(d.firstDeadAt).toEqual(new Date(10_000));
    expect(d.lastDeadAt).toEqual(new Date(10_000));
    expect(d.deliveryCount).toBeNull();
    expect(typeof d.originalQueue).toBe("string");
    // an x-death array far longer than RabbitMQ writes is read in part, not spread onto the stack
    const long = parseDeath({ "x-death": Array.from({ length: 200_000 }, (_, i) => ({ queue: "q", reason: "r", count: 1, time: ts(i) })) });
    expect(long.deaths).toHaveLength(1000);
  });
});
