/** Where a dead letter's source and original destination are shown (pure: the list and the detail page use it). */
export interface DeadLetterPlace {
  system: string;
  sourceName: string;
  vhost: string | null;
  source: string;
  originalDestination: string | null;
  consumerGroup?: string | null;
}

const enc = encodeURIComponent;

export const rabbitQueueHref = (broker: string, vhost: string | null, queue: string) => `/rabbitmq/${enc(broker)}/${enc(vhost ?? "/")}/${enc(queue)}`;
export const kafkaGroupHref = (cluster: string, group: string) => `/kafka/${enc(cluster)}/${enc(group)}`;
/** The Dead letters page narrowed to one failure group (lib/failure-groups.ts). */
export const failureGroupHref = (id: string) => `/dead-letters?${new URLSearchParams({ group: id })}`;

/** `shop.orders[2]@1234` → `shop.orders` (Kafka topic names cannot hold `[` or `@`). */
export function kafkaTopicOf(destination: string): string {
  return destination.replace(/\[\d+\](@\d+)?$|@\d+$/, "");
}

/**
 * RabbitMQ: the queue pages of the dead-letter queue and of the queue the message died in. Kafka: the list filtered by
 * the dead-letter topic (there is no topic page), and for the original topic the lag view of the group that gave up
 * on it, when the record says which group that was.
 */
export function deadLetterLinks(d: DeadLetterPlace): { source: string; destination: string | null } {
  if (d.system === "rabbitmq") {
    return {
      source: rabbitQueueHref(d.sourceName, d.vhost, d.source),
      destination: d.originalDestination ? rabbitQueueHref(d.sourceName, d.vhost, d.originalDestination) : null,
    };
  }
  return {
    source: `/dead-letters?${new URLSearchParams({ system: d.system, broker: d.sourceName, source: d.source, exact: "true" })}`,
    destination: d.originalDestination && d.consumerGroup ? kafkaGroupHref(d.sourceName, d.consumerGroup) : null,
  };
}

/** The dead-letter list of exactly one RabbitMQ queue: its broker and vhost too, and its name taken as a name, not a glob. */
export function rabbitQueueDeadLettersHref(broker: string, vhost: string, queue: string): string {
  return `/dead-letters?${new URLSearchParams({ system: "rabbitmq", broker, vhost, source: queue, exact: "true" })}`;
}
