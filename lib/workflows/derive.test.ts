import { describe, expect, it } from "vitest";
import { deriveWorkflow, workflowName, type WorkflowRules, type WorkflowSpan } from "./derive";
import { observeWorkflowSpans } from "./observe";

const rules: WorkflowRules = { names: [{ match: "POST /orders*", name: "order" }], compensations: ["*refund*"], quietMs: 30_000, stuckAfterMs: 300_000 };
const T = "a".repeat(32);
let n = 0;
const span = (p: Partial<WorkflowSpan> & Pick<WorkflowSpan, "service" | "name" | "kind">): WorkflowSpan => ({
  traceId: T,
  spanId: (++n).toString(16).padStart(16, "0"),
  parentSpanId: null,
  startMs: 1000,
  endMs: 1010,
  error: false,
  messagingSystem: null,
  destination: null,
  operation: null,
  messageId: null,
  consumerGroup: null,
  links: [],
  ...p,
});
const order = () => {
  const root = span({ service: "order-service", name: "POST /orders", kind: 2 });
  const pub = span({ service: "order-service", name: "send shop.orders", kind: 4, parentSpanId: root.spanId, messagingSystem: "kafka", destination: "shop.orders", operation: "send", startMs: 1005 });
  return { root, pub };
};
const later = 10 * 60_000;

describe("deriveWorkflow", () => {
  it("completed once every reader processed the message and it went quiet; named by its root operation", () => {
    const { root, pub } = order();
    const inv = span({ service: "inventory-service", name: "process shop.orders", kind: 5, parentSpanId: pub.spanId, destination: "shop.orders", operation: "process", startMs: 1020, endMs: 1030 });
    const d = deriveWorkflow([root, pub, inv], [], rules, later);
    expect(d).toMatchObject({ state: "completed", stuck: false, name: "order", startedMs: 1000, lastActivityMs: 1030 });
    expect(deriveWorkflow([root, pub, inv], [], rules, 1040).state).toBe("running");
    // called by a client that sends spans too (a load generator): named by the operation that answered
    const caller = span({ service: "traffic", name: "POST", kind: 3, startMs: 990 });
    expect(deriveWorkflow([caller, { ...root, parentSpanId: caller.spanId }, pub, inv], [], rules, later).name).toBe("order");
  });

  it("pending while a group reading the topic (found by its members' client id) has not processed it; stuck past the limit", () => {
    const { root, pub } = order();
    const inv = span({ service: "inventory-service", name: "process shop.orders", kind: 5, parentSpanId: pub.spanId, destination: "shop.orders", operation: "process", startMs: 1020 });
    const groups = [
      { group: "shop-inventory", topics: ["shop.orders"], clientIds: ["inventory-service"] },
      { group: "shop-analytics-slow", topics: ["shop.orders"], clientIds: ["analytics-service"] },
    ];
    const d = deriveWorkflow([root, pub, inv], [], rules, 60_000, groups);
    expect(d).toMatchObject({ state: "pending", stuck: false, waitingOn: { system: "kafka", destination: "shop.orders", group: "shop-analytics-slow" } });
    expect(deriveWorkflow([root, pub, inv], [], rules, later, groups)).toMatchObject({ state: "pending", stuck: true });
    // a batch consumer that only links to the producer processes it too
    const slow = span({ service: "analytics-service", name: "process shop.orders", kind: 5, traceId: "b".repeat(32), destination: "shop.orders", operation: "process", links: [{ traceId: T, spanId: pub.spanId }], startMs: 5000 });
    expect(deriveWorkflow([root, pub, inv, slow], [], rules, later, groups).state).toBe("completed");
    // no group known (RabbitMQ): pending until any consumer processed it
    expect(deriveWorkflow([root, { ...pub, messagingSystem: "rabbitmq" }], [], rules, later).waitingOn).toMatchObject({ destination: "shop.orders" });
  });

  it("dead-lettered while a dead letter of it waits; a replayed one whose consumer then succeeded completes it", () => {
    const { root, pub } = order();
    const failed = span({ service: "payment-service", name: "shop.payments.requests process", kind: 5, parentSpanId: pub.spanId, destination: "shop.orders", operation: "process", error: true, startMs: 1100 });
    const dl = { id: 7, status: "new", system: "rabbitmq", source: "shop.payments.requests.dlq", destination: "shop.payments.requests", reason: "rejected", atMs: 1200 };
    const d = deriveWorkflow([root, pub, failed], [dl], rules, later);
    expect(d).toMatchObject({ state: "dead_lettered", deadLetterIds: [7] });
    expect(d.evidence.some((e) => e.deadLetterId === 7)).toBe(true);
    const replayed = span({ service: "payment-service", name: "shop.payments.requests process", kind: 5, parentSpanId: span({ service: "switchyard", name: "replay", kind: 4 }).spanId, startMs: 9000, endMs: 9010 });
    expect(deriveWorkflow([root, pub, failed, replayed], [{ ...dl, status: "replayed" }], rules, later).state).toBe("completed");
    expect(deriveWorkflow([root, pub, failed], [{ ...dl, status: "failed_again" }], rules, later).state).toBe("dead_lettered");
  });

  it("failed when a step erred with no later success; retrying while a message is processed again after failing; compensated", () => {
    const { root, pub } = order();
    const attempt = (error: boolean, at: number) => span({ service: "inventory-service", name: "process shop.orders", kind: 5, parentSpanId: pub.spanId, destination: "shop.orders", operation: "process", messageId: "m1", error, startMs: at, endMs: at + 5 });
    expect(deriveWorkflow([root, pub, attempt(true, 1100)], [], rules, later).state).toBe("failed");
    expect(deriveWorkflow([root, pub, attempt(true, 1100), attempt(true, 1200)], [], rules, 1300).state).toBe("retrying");
    expect(deriveWorkflow([root, pub, attempt(true, 1100), attempt(false, 1200)], [], rules, 1300).state).toBe("retrying");
    const done = deriveWorkflow([root, pub, attempt(true, 1100), attempt(false, 1200)], [], rules, later);
    expect(done.state).toBe("completed");
    expect(done.evidence.some((e) => /2 times after failures/.test(e.text))).toBe(true);
    const refund = span({ service: "payment-service", name: "POST /refund", kind: 2, startMs: 1300 });
    expect(deriveWorkflow([root, pub, attempt(true, 1100), refund], [], rules, later).state).toBe("compensated");
  });

  it("names by rule or root operation; observes keys, links and traces of an export", () => {
    expect(workflowName("POST /orders/{id}", rules.names)).toBe("order");
    expect(workflowName("GET /health", rules.names)).toBe("GET /health");
    const o = observeWorkflowSpans(
      [
        { traceId: T, attributes: { "order.id": "ord-1", other: "x" }, links: [] },
        { traceId: T, attributes: { "order.id": "ord-1" }, links: [{ traceId: "b".repeat(32), spanId: "c".repeat(16) }] },
        { traceId: "d".repeat(32), attributes: { "order.id": { nested: 1 }, "payment.id": 42 }, links: [{ traceId: "", spanId: "" }] },
      ],
      ["order.id", "payment.id"],
    );
    expect(o.keys).toEqual([{ traceId: T, key: "ord-1", keyName: "order.id" }, { traceId: "d".repeat(32), key: "42", keyName: "payment.id" }]);
    expect(o.links).toEqual([{ traceId: T, linkedTraceId: "b".repeat(32) }]);
    expect(o.traces).toEqual([T, "d".repeat(32)]);
  });
});
