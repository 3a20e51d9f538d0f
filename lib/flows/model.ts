/**
 * The event-flow map's vocabulary: what a node is, how an edge was seen, how it couples its two ends and what it
 * means (the seed documents' words), and how healthy each is. One constant per list; every other file takes these.
 */
export const flowNodeKinds = ["service", "topic", "exchange", "queue", "dlq", "dlt"] as const;
export type FlowNodeKind = (typeof flowNodeKinds)[number];

/** How an edge was observed: a synchronous call (client → server), a publish, an exchange routing to a queue (its bindings), a consume, or dead-lettering. */
export const flowEdgeKinds = ["call", "publish", "route", "consume", "dead_letter"] as const;
export type FlowEdgeKind = (typeof flowEdgeKinds)[number];

/** sync: the caller waits for the answer; async: it hands a message to a broker and goes on. */
export const flowCouplings = ["sync", "async"] as const;
export type FlowCoupling = (typeof flowCouplings)[number];

/** query: a read; command: a request to do work; event: a fact fanned out to several consumers. */
export const flowIntents = ["query", "command", "event"] as const;
export type FlowIntent = (typeof flowIntents)[number];

/** Health of a node or edge, worst last (the order `worseOf` uses). */
export const flowHealths = ["unknown", "healthy", "degraded", "failing"] as const;
export type FlowHealth = (typeof flowHealths)[number];

export const worseOf = (a: FlowHealth, b: FlowHealth): FlowHealth => (flowHealths.indexOf(a) >= flowHealths.indexOf(b) ? a : b);

/**
 * A node's id: a service by name; a Kafka topic (or DLT) by name; a RabbitMQ exchange and a queue (or DLQ) apart even
 * when they share a name (the default exchange's habit), so `rabbitmq:exchange:orders` routes to `rabbitmq:queue:orders`.
 */
export function nodeId(kind: FlowNodeKind, name: string, system?: string | null): string {
  if (kind === "service") return `service:${name}`;
  const sys = system ?? (kind === "topic" || kind === "dlt" ? "kafka" : "rabbitmq");
  if (sys === "rabbitmq") return `rabbitmq:${kind === "exchange" ? "exchange" : "queue"}:${name}`;
  return `${sys}:${name}`;
}
