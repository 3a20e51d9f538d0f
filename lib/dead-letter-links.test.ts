import { describe, expect, it } from "vitest";
import { deadLetterLinks, kafkaTopicOf, rabbitQueueHref } from "./dead-letter-links";

describe("dead-letter links", () => {
  it("links RabbitMQ source and destination to their queue pages, vhost and name encoded", () => {
    expect(deadLetterLinks({ system: "rabbitmq", sourceName: "local", vhost: "/", source: "shop.payments.requests.dlq", originalDestination: "shop.payments.requests" })).toEqual({
      source: "/rabbitmq/local/%2F/shop.payments.requests.dlq",
      destination: "/rabbitmq/local/%2F/shop.payments.requests",
    });
    expect(rabbitQueueHref("b 1", "a/b", "50%off?#x")).toBe("/rabbitmq/b%201/a%2Fb/50%25off%3F%23x");
    expect(rabbitQueueHref("local", null, "q")).toBe("/rabbitmq/local/%2F/q");
    expect(deadLetterLinks({ system: "rabbitmq", sourceName: "local", vhost: "v", source: "q.dlq", originalDestination: null }).destination).toBeNull();
  });
  it("links a Kafka DLT to the list filtered by it and the original topic to its group's lag view", () => {
    const d = { system: "kafka", sourceName: "local", vhost: null, source: "shop.orders.DLT", originalDestination: "shop.orders[2]@1234" };
    expect(deadLetterLinks({ ...d, consumerGroup: "inventory" })).toEqual({ source: "/dead-letters?system=kafka&broker=local&source=shop.orders.DLT&exact=true", destination: "/kafka/local/inventory" });
    expect(deadLetterLinks(d).destination).toBeNull();
    expect(kafkaTopicOf("shop.orders[2]@1234")).toBe("shop.orders");
    expect(kafkaTopicOf("shop.orders@7")).toBe("shop.orders");
    expect(kafkaTopicOf("orders")).toBe("orders");
  });
});

describe("rabbitQueueDeadLettersHref", () => {
  it("names the broker and vhost and takes a queue name with glob characters as a name", async () => {
    const { rabbitQueueDeadLettersHref } = await import("./dead-letter-links");
    const u = new URL(rabbitQueueDeadLettersHref("local", "a/b", "orders*?.dlq"), "http://x");
    expect(Object.fromEntries(u.searchParams)).toEqual({ system: "rabbitmq", broker: "local", vhost: "a/b", source: "orders*?.dlq", exact: "true" });
  });
});
