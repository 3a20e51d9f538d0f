import { describe, expect, it } from "vitest";
import { drainEtaSeconds, growthRate } from "./queue-stats";
import { queueKey } from "./queue-key";
import { deadLetterExchanges, deadLetterTopology, topicMatches } from "./topology";

const ex = (name: string, type = "direct") => ({ vhost: "/", name, type });
const bind = (source: string, destination: string, routingKey: string, destinationType: "queue" | "exchange" = "queue") => ({ vhost: "/", source, destination, destinationType, routingKey });
const q = (name: string, args: Record<string, unknown> = {}, effectivePolicy: Record<string, unknown> | null = null) => ({ vhost: "/", name, arguments: args, effectivePolicy });

describe("deadLetterTopology", () => {
  it("follows x-dead-letter-exchange and routing key through bindings", () => {
    const t = deadLetterTopology(
      [q("orders", { "x-dead-letter-exchange": "dlx", "x-dead-letter-routing-key": "orders" }), q("orders.dlq"), q("other.dlq-ish")],
      [ex("dlx")],
      [bind("dlx", "orders.dlq", "orders"), bind("dlx", "other.dlq-ish", "payments")],
      [],
    );
    expect(t.get(queueKey("/", "orders.dlq"))).toMatchObject({ isDeadLetterQueue: true, deadLetterSources: ["orders"] });
    expect(t.get(queueKey("/", "other.dlq-ish"))?.isDeadLetterQueue).toBe(false);
    expect(t.get(queueKey("/", "orders"))?.route).toEqual({ deadLetterExchange: "dlx", deadLetterRoutingKey: "orders", dlxMissing: false, targets: ["orders.dlq"] });
  });

  it("reads the dead-letter exchange from a policy, through fanout and exchange-to-exchange bindings", () => {
    const t = deadLetterTopology([q("a", {}, { "dead-letter-exchange": "dlx.fan" }), q("all.dead")], [ex("dlx.fan", "fanout"), ex("dlx.inner", "topic")], [bind("dlx.fan", "dlx.inner", "", "exchange"), bind("dlx.inner", "all.dead", "#")], []);
    expect(t.get(queueKey("/", "all.dead"))).toMatchObject({ isDeadLetterQueue: true, deadLetterSources: ["a"] });
  });

  it("routes through the default exchange by queue name", () => {
    const t = deadLetterTopology([q("work", { "x-dead-letter-exchange": "", "x-dead-letter-routing-key": "work.failed" }), q("work.failed")], [], [], []);
    expect(t.get(queueKey("/", "work.failed"))).toMatchObject({ isDeadLetterQueue: true, deadLetterSources: ["work"] });
  });

  it("flags a dead-letter exchange that does not exist", () => {
    const t = deadLetterTopology([q("lost", { "x-dead-letter-exchange": "nope" })], [ex("other")], [], []);
    expect(t.get(queueKey("/", "lost"))?.route).toMatchObject({ dlxMissing: true, targets: [] });
  });

  it("recognises dead-letter queues by name pattern", () => {
    const t = deadLetterTopology([q("billing_error"), q("billing")], [], [], ["*_error", "*.dlq"]);
    expect(t.get(queueKey("/", "billing_error"))?.isDeadLetterQueue).toBe(true);
    expect(t.get(queueKey("/", "billing"))?.isDeadLetterQueue).toBe(false);
  });
});

describe("topicMatches", () => {
  it("matches * and # like RabbitMQ", () => {
    expect(topicMatches("orders.*", "orders.created")).toBe(true);
    expect(topicMatches("orders.*", "orders.created.eu")).toBe(false);
    expect(topicMatches("orders.#", "orders")).toBe(true);
    expect(topicMatches("#.eu", "orders.created.eu")).toBe(true);
  });
});

describe("queue stats", () => {
  it("gives an ETA to drain only when consumers outpace publishers", () => {
    expect(drainEtaSeconds(100, { publishRate: 5, deliverRate: 15, ackRate: 15 })).toBe(10);
    expect(drainEtaSeconds(100, { publishRate: 20, deliverRate: 15, ackRate: 15 })).toBeNull();
    expect(drainEtaSeconds(0, { publishRate: null, deliverRate: null, ackRate: null })).toBe(0);
    expect(growthRate({ ready: 10, timeMs: 0 }, { ready: 40, timeMs: 10_000 })).toBe(3);
  });
});

describe("deadLetterExchanges", () => {
  it("names each vhost's dead-letter exchanges once, from arguments or policy, without the default exchange", () => {
    const got = deadLetterExchanges([
      { vhost: "/", name: "a", arguments: { "x-dead-letter-exchange": "dlx" } },
      { vhost: "/", name: "b", effectivePolicy: { "dead-letter-exchange": "dlx" } },
      { vhost: "other", name: "c", arguments: { "x-dead-letter-exchange": "dlx" } },
      { vhost: "/", name: "d", arguments: { "x-dead-letter-exchange": "" } },
      { vhost: "/", name: "e", arguments: { "x-dead-letter-exchange": 42 } },
      { vhost: "/", name: "f", arguments: { "x-dead-letter-exchange": "args-win" }, effectivePolicy: { "dead-letter-exchange": "policy" } },
    ]);
    expect(got).toEqual([
      { vhost: "/", name: "dlx" },
      { vhost: "other", name: "dlx" },
      { vhost: "/", name: "args-win" },
    ]);
  });
});
