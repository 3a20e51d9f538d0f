import type { Span } from "../traces/span";

/** What a span says about the messaging destination its message went to or came from. Pure: used by ingest and pages. */
export type DestinationSpan = Pick<Span, "kind" | "name" | "attributes">;

/** The first of these attributes that is set (not null, not empty), as text. */
export const firstAttribute = (s: Pick<DestinationSpan, "attributes">, ...keys: string[]): string | null => {
  for (const k of keys) {
    if (!Object.hasOwn(s.attributes, k)) continue;
    const v = s.attributes[k];
    if (v !== undefined && v !== null && v !== "") return String(v);
  }
  return null;
};

/**
 * The destination a span's message went to or came from. A RabbitMQ consumer reads a queue, not the exchange its
 * message was published to: the queue is `messaging.destination.name` in current semantic conventions (for a consumer
 * `exchange:routing key:queue`, or the queue alone), a `messaging.rabbitmq.*queue*` attribute, or, as the amqplib
 * instrumentation writes it, the span name `<queue> process` (its `messaging.destination` is the exchange).
 * Ingest stores it as the span's `messaging_destination` (so a search by queue finds consumer spans), and the trace
 * pages name hops by it.
 */
export function spanDestination(s: DestinationSpan): string | null {
  const system = firstAttribute(s, "messaging.system");
  if (system === "rabbitmq" && s.kind === "CONSUMER") {
    const queueAttr = firstAttribute(s, "messaging.rabbitmq.queue.name", "messaging.rabbitmq.queue", "messaging.rabbitmq.destination.queue");
    if (queueAttr) return queueAttr;
    const name = firstAttribute(s, "messaging.destination.name");
    if (name) {
      const parts = name.split(":");
      return parts.length === 3 && parts[2] ? parts[2] : name;
    }
    const fromSpanName = /^(.+) (?:process|receive|deliver)$/s.exec(s.name)?.[1];
    if (fromSpanName) return fromSpanName;
  }
  return firstAttribute(s, "messaging.destination.name", "messaging.destination");
}
