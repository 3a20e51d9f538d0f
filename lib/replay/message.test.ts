import { describe, expect, it } from "vitest";
import { itemOfToken, itemToken, kafkaHeaders, rabbitProperties, rabbitTarget, replayedHeaders, typedDestinationProblem, wireValue } from "./message";

describe("replayed message", () => {
  const ids = { replayId: 7, itemId: 42, traceId: "a".repeat(32), spanId: "b".repeat(16) };

  it("keeps the application's headers, drops the broker's and the old trace, adds the replay's", () => {
    const h = replayedHeaders({ "x-app": "keep", "x-death": [{ count: 1 }], "kafka_dlt-original-topic": "t", traceparent: "00-x", "x-switchyard-replay-count": "1" }, null, ids);
    expect(h).toEqual({
      "x-app": "keep",
      "x-switchyard-replay-id": "7",
      "x-switchyard-replay-count": "2",
      traceparent: `00-${"a".repeat(32)}-${"b".repeat(16)}-01`,
      "x-switchyard-replay-item": `42:${"b".repeat(16)}`,
    });
  });

  it("an edit replaces the application's headers but the count still climbs", () => {
    const h = replayedHeaders({ "x-app": "old", "x-switchyard-replay-count": "2" }, { "x-new": "1" }, ids);
    expect(h["x-app"]).toBeUndefined();
    expect(h["x-new"]).toBe("1");
    expect(h["x-switchyard-replay-count"]).toBe("3");
  });

  it("item tokens round-trip and refuse anything else", () => {
    expect(itemOfToken(itemToken(42, "0123456789abcdef"))).toBe(42);
    expect(itemOfToken(Buffer.from(itemToken(9, "0123456789abcdef")))).toBe(9);
    for (const bad of ["42", "42:xyz", ":0123456789abcdef", "0:0123456789abcdef", null, 42]) expect(itemOfToken(bad)).toBeNull();
  });

  it("stored bytes go back as bytes, nested tables are walked, null Kafka headers are left out", () => {
    expect(wireValue({ base64: Buffer.from([0, 255]).toString("base64") })).toEqual(Buffer.from([0, 255]));
    expect(wireValue({ t: [{ base64: "AA==" }, "s"] })).toEqual({ t: [Buffer.from([0]), "s"] });
    expect(kafkaHeaders({ a: "x", b: null, c: [{ base64: "AQ==" }, null], d: { base64: "Ag==" } })).toEqual({ a: "x", c: [Buffer.from([1])], d: Buffer.from([2]) });
  });
});

describe("where a RabbitMQ replay publishes", () => {
  it("the original exchange and routing key, a typed queue through the default exchange, or a typed exchange / key", () => {
    expect(rabbitTarget(null, { exchange: "shop", routingKey: "order.created" })).toEqual({ exchange: "shop", routingKey: "order.created" });
    expect(rabbitTarget(null, { exchange: null, routingKey: "q" })).toEqual({ exchange: "", routingKey: "q" });
    expect(rabbitTarget(null, { exchange: "shop", routingKey: null })).toBeNull();
    expect(rabbitTarget("orders.retry", { exchange: "shop", routingKey: "x" })).toEqual({ exchange: "", routingKey: "orders.retry" });
    expect(rabbitTarget("shop / a / b", { exchange: null, routingKey: null })).toEqual({ exchange: "shop", routingKey: "a / b" });
    expect(rabbitTarget("(default exchange) / q", { exchange: null, routingKey: null })).toEqual({ exchange: "", routingKey: "q" });
  });

  it("keeps what the application set, never expiration or user id, and gives a message id when there is none", () => {
    const p = rabbitProperties({ contentType: "application/json", expiration: "1000", userId: "mallory", deliveryMode: 2, messageId: "m-1", priority: 3, headers: { x: 1 } }, 5);
    expect(p).toEqual({ contentType: "application/json", messageId: "m-1", priority: 3, persistent: true });
    expect(rabbitProperties({ deliveryMode: 1 }, 5)).toEqual({ messageId: "switchyard-dead-letter-5", persistent: false });
  });
});

describe("a typed destination", () => {
  it("takes one system's selection and a legal name", () => {
    expect(typedDestinationProblem("orders", new Set(["kafka"]))).toBeNull();
    expect(typedDestinationProblem("orders", new Set(["kafka", "rabbitmq"]))).toMatch(/only one system/);
    expect(typedDestinationProblem("bad topic!", new Set(["kafka"]))).toMatch(/not a Kafka topic name/);
    expect(typedDestinationProblem("..", new Set(["kafka"]))).toMatch(/not a Kafka topic name/);
    expect(typedDestinationProblem("shop / order.created", new Set(["rabbitmq"]))).toBeNull();
    expect(typedDestinationProblem("q".repeat(256), new Set(["rabbitmq"]))).toMatch(/255 bytes/);
  });
});
