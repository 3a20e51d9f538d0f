import { replayHeaders } from "./headers";

/** The header naming the replay item a message was sent for: a dead letter coming back with it failed again. */
export const replayItemHeader = "x-switchyard-replay-item";

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

/** The span a message died under, from its traceparent header (the replay's span is its child), or null. */
export function parentSpanOf(headers: Record<string, unknown>): { traceId: string; spanId: string } | null {
  const v = Object.entries(headers).find(([k]) => k.toLowerCase() === "traceparent")?.[1];
  const m = typeof v === "string" ? /^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/.exec(v.trim()) : null;
  if (!m || /^0+$/.test(m[1]!) || /^0+$/.test(m[2]!)) return null;
  return { traceId: m[1]!, spanId: m[2]! };
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
  out[replayItemHeader] = String(ids.itemId);
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
