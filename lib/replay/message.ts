import { replayHeaders } from "./headers";

/**
 * The header naming the replay item a message was sent for: a dead letter coming back with it failed again. Its value
 * is the item's id and its span id (`12:a3f…`): a replay id and item id alone could be another database's (an old
 * record on a topic read again after a reinstall), the span id is random.
 */
export const replayItemHeader = "x-switchyard-replay-item";

export function itemToken(itemId: number, spanId: string): string {
  return `${itemId}:${spanId}`;
}

/** The item id of an item token, or null when it is not one. */
export function itemOfToken(v: unknown): number | null {
  const s = Buffer.isBuffer(v) ? v.toString("utf8") : typeof v === "string" ? v : null;
  const m = s === null ? null : /^([1-9][0-9]{0,15}):[0-9a-f]{16}$/.exec(s);
  return m && Number.isSafeInteger(Number(m[1])) ? Number(m[1]) : null;
}

/** A stored header value (lib/kafka/dlt-headers.ts, lib/rabbitmq/x-death.ts): text, `{ base64 }` for bytes, or nested JSON. */
function isBase64Box(v: unknown): v is { base64: string } {
  return typeof v === "object" && v !== null && !Array.isArray(v) && Object.keys(v).length === 1 && typeof (v as { base64?: unknown }).base64 === "string";
}

/** A stored value back to what a broker client sends: `{ base64 }` becomes bytes, tables and arrays are walked. */
export function wireValue(v: unknown): unknown {
  if (isBase64Box(v)) return Buffer.from(v.base64, "base64");
  if (Array.isArray(v)) return v.map(wireValue);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, wireValue(x)]));
  return v;
}

/** Kafka headers for kafkajs: text or bytes (or a list of them for a repeated header); a null value is left out. */
export function kafkaHeaders(headers: Record<string, unknown>): Record<string, string | Buffer | (string | Buffer)[]> {
  const one = (v: unknown): string | Buffer | null => {
    const w = wireValue(v);
    if (w === null || w === undefined) return null;
    if (typeof w === "string" || Buffer.isBuffer(w)) return w;
    return JSON.stringify(w);
  };
  const out: Record<string, string | Buffer | (string | Buffer)[]> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (Array.isArray(v)) {
      const list = v.map(one).filter((x): x is string | Buffer => x !== null);
      if (list.length) out[k] = list;
    } else {
      const x = one(v);
      if (x !== null) out[k] = x;
    }
  }
  return out;
}

/** The W3C traceparent of a replay's span. */
export function traceparentOf(traceId: string, spanId: string): string {
  return `00-${traceId}-${spanId}-01`;
}

/** What a replay sends for one dead letter: its (or the edit's) payload and headers with the replay's own. */
export function replayedHeaders(
  stored: Record<string, unknown>,
  edited: Record<string, unknown> | null,
  ids: { replayId: number; itemId: number; traceId: string; spanId: string },
): Record<string, unknown> {
  // an edit replaces the application's headers; the count still comes from what the message carried
  const base = edited ? { ...edited, ...Object.fromEntries(Object.entries(stored).filter(([k]) => k.toLowerCase() === "x-switchyard-replay-count")) } : stored;
  const out = replayHeaders(base, String(ids.replayId), traceparentOf(ids.traceId, ids.spanId));
  out[replayItemHeader] = itemToken(ids.itemId, ids.spanId);
  return out;
}

/** A RabbitMQ destination: the exchange and routing key a message is published with. */
export interface RabbitTarget {
  exchange: string;
  routingKey: string;
}

/**
 * Where a RabbitMQ replay publishes: a typed destination (`exchange / routing key`, or a queue name through the
 * default exchange), else the dead letter's original exchange and routing key from its death history.
 */
export function rabbitTarget(typed: string | null, original: { exchange: string | null; routingKey: string | null }): RabbitTarget | null {
  if (typed !== null) {
    const i = typed.indexOf(" / ");
    if (i >= 0) {
      const ex = typed.slice(0, i);
      return { exchange: ex === "(default exchange)" ? "" : ex, routingKey: typed.slice(i + 3) };
    }
    return { exchange: "", routingKey: typed };
  }
  if (original.routingKey === null) return null;
  return { exchange: original.exchange ?? "", routingKey: original.routingKey };
}

/**
 * The AMQP properties a replayed message is published with: the captured ones an application sets, without those
 * that would make it die again or be refused (expiration: it expired once; userId: the broker refuses one that is not
 * the connection's user). Persistent unless it was sent transient. A message without a message id gets one, so a
 * consumer can drop the copy a crash mid-send may cause.
 */
export function rabbitProperties(props: Record<string, unknown>, deadLetterId: number): Record<string, unknown> {
  const keep = ["contentType", "contentEncoding", "priority", "correlationId", "replyTo", "messageId", "timestamp", "type", "appId"] as const;
  const out: Record<string, unknown> = {};
  for (const k of keep) if (props[k] !== undefined && props[k] !== null) out[k] = wireValue(props[k]);
  if (typeof out.messageId !== "string" || out.messageId === "") out.messageId = `switchyard-dead-letter-${deadLetterId}`;
  if (typeof out.priority !== "number") delete out.priority;
  if (typeof out.timestamp !== "number") delete out.timestamp;
  out.persistent = props.deliveryMode !== 1;
  return out;
}

/** Kafka's rule for topic names: 1 to 249 of letters, digits, `.`, `_` and `-`, and not `.` or `..`. */
export function isKafkaTopicName(s: string): boolean {
  return /^[A-Za-z0-9._-]{1,249}$/.test(s) && s !== "." && s !== "..";
}

/**
 * Why a destination the operator typed cannot take the selection, or null: it must be one system's (a topic is not
 * a queue), and a legal name there. Whether it exists is checked by the collectors, which hold the connections: a
 * replay to one that does not fails with nothing sent.
 */
export function typedDestinationProblem(destination: string, systems: Set<string>): string | null {
  if (systems.size > 1) return "the selection holds Kafka and RabbitMQ dead letters: a typed destination can take only one system's";
  if (systems.has("kafka") && !isKafkaTopicName(destination)) return `${JSON.stringify(destination)} is not a Kafka topic name (letters, digits, '.', '_' and '-', at most 249)`;
  if (systems.has("rabbitmq") && destination.includes(" / ") && destination.split(" / ").length !== 2) return "give a queue name, or `exchange / routing key`";
  if (systems.has("rabbitmq") && Buffer.byteLength(destination.split(" / ").at(-1)!, "utf8") > 255) return "a queue name or routing key is at most 255 bytes";
  return null;
}
