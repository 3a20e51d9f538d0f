import { describe, expect, it } from "vitest";
import { attentionItems, type AttentionInput } from "./attention";

const quiet: AttentionInput = { groups: [], deadLetters: [], windowMinutes: 15, stuckWorkflows: [], sources: [{ system: "kafka", name: "local", healthy: true }] };

describe("attentionItems", () => {
  it("is empty only when nothing holds: healthy sources and groups, no new dead letters, nothing stuck", () => {
    expect(attentionItems({ ...quiet, groups: [{ cluster: "local", groupId: "ok", status: "OK", maxLagSeconds: 2, totalLag: 3, etaSeconds: 1, inactive: false }], deadLetters: [{ system: "kafka", sourceName: "local", vhost: null, source: "x.DLT", count: 0 }] })).toEqual([]);
  });

  it("lists the demo's slow group 14 minutes behind and not catching up, and its growing dead-letter queue, worst first", () => {
    const items = attentionItems({
      ...quiet,
      groups: [
        { cluster: "local", groupId: "shop-analytics-slow", status: "WARN", maxLagSeconds: 840, totalLag: 9000, etaSeconds: null, inactive: false },
        { cluster: "local", groupId: "fast", status: "WARN", maxLagSeconds: 20, totalLag: 10, etaSeconds: 5, inactive: false },
        // abandoned: at STOP, but it must not outrank the live ones
        { cluster: "local", groupId: "old", status: "STOP", maxLagSeconds: 99_999, totalLag: 5, etaSeconds: null, inactive: true },
        { cluster: "local", groupId: "stopped", status: "STOP", maxLagSeconds: 60, totalLag: 5, etaSeconds: null, inactive: false },
      ],
      deadLetters: [
        { system: "rabbitmq", sourceName: "local", vhost: "/", source: "shop.payments.requests.dlq", count: 40 },
        { system: "kafka", sourceName: "local", vhost: null, source: "shop.orders.DLT", count: 12 },
      ],
      stuckWorkflows: [{ name: "POST /orders", count: 3 }],
      sources: [{ system: "rabbitmq", name: "local", healthy: false, error: "connection refused" }],
      alerts: [{ name: "payments-dlq", severity: "critical", summary: "41 dead letters in 10 min", url: "/dead-letters?source=x" }],
    });
    expect(items.map((i) => `${i.severity} ${i.kind} ${i.title}`)).toEqual([
      "critical alert alert payments-dlq is firing",
      "critical source rabbitmq local is unhealthy",
      "critical group consumer group stopped on local is STOP",
      "warning group consumer group shop-analytics-slow on local is WARN",
      "warning group consumer group fast on local is WARN",
      "warning dead_letters shop.payments.requests.dlq is taking dead letters",
      "warning dead_letters shop.orders.DLT is taking dead letters",
      "warning workflows 3 POST /orders workflows are stuck",
    ]);
    // alerts pointing at one page are one item at their worst severity; an info alert stays info
    const many = attentionItems({
      ...quiet,
      alerts: [
        ...["a", "b", "c", "d"].map((n) => ({ name: `lag-${n}`, severity: n === "c" ? "critical" : "warning", summary: `${n} behind`, url: "/kafka/local/g" })),
        { name: "fyi", severity: "info", summary: "x", url: "/" },
      ],
    });
    expect(many.map((i) => `${i.severity} ${i.title} | ${i.detail}`)).toEqual(["critical 4 alerts are firing: lag-a, lag-b, lag-c, … | c behind (and 3 more)", "info alert fyi is firing | x"]);
    const slow = items.find((i) => i.title.includes("shop-analytics-slow"))!;
    expect(slow.detail).toBe("14 min behind, not catching up (9,000 messages)");
    expect(slow.url).toBe("/kafka/local/shop-analytics-slow");
    expect(items.find((i) => i.kind === "dead_letters")!.url).toBe("/dead-letters?system=rabbitmq&broker=local&vhost=%2F&source=shop.payments.requests.dlq&exact=true");
    expect(items.find((i) => i.kind === "workflows")!.url).toBe("/workflows?stuck=true&name=POST+%2Forders");
  });
});
