import { createHash } from "node:crypto";
import { z } from "zod";
import { pgText } from "../pg-safe";
import { traceIdFromTraceparent } from "../traceparent";

/**
 * What a RabbitMQ dead letter says about its death. RabbitMQ adds `x-death` (an array, most recent death first, one
 * entry per queue+reason with a count), `x-first-death-queue/-reason/-exchange` and, from 3.13, `x-last-death-*`;
 * quorum queues count redeliveries in `x-delivery-count`. Services add their own error headers (MassTransit's
 * `MT-Fault-*`, ours `x-last-error`/`x-error`). Headers are hostile input: every field is validated, and anything
 * malformed is ignored rather than trusted.
 */
/** a time Postgres can hold (a year within 0..9999), else none */
const validTime = (d: Date): Date | undefined => (Number.isFinite(d.getTime()) && d.getTime() >= -62_135_596_800_000 && d.getTime() <= 253_402_300_799_000 ? d : undefined);
const timestamp = z.union([
  z.object({ "!": z.literal("timestamp"), value: z.number() }).transform((t) => validTime(new Date(t.value * 1000))),
  z.number().transform((s) => validTime(new Date(s * 1000))),
  z.date().transform(validTime),
]);

/** counts are int4 columns: a header claiming more is held at the largest */
const INT4_MAX = 2 ** 31 - 1;

const deathEntry = z.object({
  queue: z.string(),
  reason: z.string(),
  count: z.coerce.number().int().nonnegative().catch(1).transform((n) => Math.min(n, INT4_MAX)),
  time: timestamp.optional().catch(undefined),
  exchange: z.string().optional().catch(undefined),
  "routing-keys": z.array(z.string()).optional().catch(undefined),
  "original-expiration": z.string().optional().catch(undefined),
});

export type DeathEntry = z.infer<typeof deathEntry>;

export interface RabbitDeath {
  reason: string | null;
  /** the queue it first died in */
  originalQueue: string | null;
  /** exchange and routing key to publish to so it goes where it first went */
  originalExchange: string | null;
  originalRoutingKey: string | null;
  deathCount: number;
  firstDeadAt: Date | null;
  lastDeadAt: Date | null;
  deliveryCount: number | null;
  errorType: string | null;
  errorMessage: string | null;
  stacktrace: string | null;
  traceId: string | null;
  deaths: DeathEntry[];
}

const str = (v: unknown): string | null => (typeof v === "string" && v !== "" ? v : Buffer.isBuffer(v) ? v.toString("utf8") : null);

export function parseDeath(headers: Record<string, unknown> | undefined | null): RabbitDeath {
  const h = headers ?? {};
  // an x-death longer than RabbitMQ writes (one entry per queue and reason) is cut, not trusted
  const raw = Array.isArray(h["x-death"]) ? (h["x-death"] as unknown[]).slice(0, 1000) : [];
  const deaths = raw.flatMap((e) => {
    const r = deathEntry.safeParse(e);
    return r.success ? [r.data] : [];
  });
  const oldest = deaths[deaths.length - 1];
  const newest = deaths[0];
  const firstQueue = str(h["x-first-death-queue"]) ?? oldest?.queue ?? null;
  const firstReason = str(h["x-first-death-reason"]) ?? oldest?.reason ?? null;
  const lastReason = str(h["x-last-death-reason"]) ?? newest?.reason ?? firstReason;
  const firstExchange = h["x-first-death-exchange"] !== undefined ? (str(h["x-first-death-exchange"]) ?? "") : (oldest?.exchange ?? null);
  const routingKey = oldest?.["routing-keys"]?.[0] ?? null;
  const times = deaths.map((d) => d.time?.getTime()).filter((t): t is number => t !== undefined);
  const delivery = Number(h["x-delivery-count"]);
  return {
    reason: lastReason,
    originalQueue: firstQueue,
    originalExchange: firstExchange,
    // the default exchange routes by queue name
    originalRoutingKey: routingKey ?? (firstExchange === "" ? firstQueue : null),
    deathCount: Math.min(deaths.reduce((n, d) => n + d.count, 0), INT4_MAX) || (firstQueue ? 1 : 0),
    firstDeadAt: times.length ? new Date(times.reduce((a, b) => Math.min(a, b))) : null,
    lastDeadAt: times.length ? new Date(times.reduce((a, b) => Math.max(a, b))) : null,
    deliveryCount: Number.isSafeInteger(delivery) ? delivery : null,
    errorType: str(h["MT-Fault-ExceptionType"]) ?? str(h["x-exception-type"]),
    errorMessage: str(h["MT-Fault-Message"]) ?? str(h["x-exception-message"]) ?? str(h["x-last-error"]) ?? str(h["x-error"]),
    stacktrace: str(h["MT-Fault-StackTrace"]),
    traceId: traceIdFromTraceparent(h.traceparent),
    deaths,
  };
}

/**
 * What a dead letter is, for telling a redelivery of it from another message: a SHA-256 of its body, headers and
 * properties (not `x-delivery-count`, which a quorum queue raises on redelivery; keys sorted, so the order a client
 * wrote them in does not matter), plus its first death time, first queue and death count. Two messages with the
 * same content key are indistinguishable: byte-identical, dead in the same second (x-death times have a resolution
 * of one second) in the same queue. Postgres-safe (no NUL or lone surrogate) so it can be compared with what is stored.
 */
export function rabbitContentKey(content: Buffer, headers: Record<string, unknown>, properties: Record<string, unknown>, death: RabbitDeath): string {
  const { "x-delivery-count": _d, ...stable } = headers;
  const h = createHash("sha256").update(content).update("\u0000");
  h.update(canonicalJson({ headers: amqpValueToJson(stable), properties: amqpValueToJson(properties) }));
  return pgText(`sha256:${h.digest("hex")}|${death.firstDeadAt?.getTime() ?? "-"}|${death.originalQueue ?? "-"}|${death.deathCount}`);
}

/**
 * Idempotency key of a dead letter that carries a message id: the id, its first death time, first queue and death
 * count. A redelivery after a crash repeats all four; dying again after a replay does not. Dead letters without a
 * message id are keyed by their content key and a random suffix instead (see collectors/rabbitmq/dlq-capture.ts).
 */
export function rabbitDedupKey(messageId: string, death: RabbitDeath): string {
  return pgText(`id:${messageId}|${death.firstDeadAt?.getTime() ?? "-"}|${death.originalQueue ?? "-"}|${death.deathCount}`);
}

/** JSON with object keys sorted at every level (values already JSON, nesting already bounded). */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== "object") return JSON.stringify(v) ?? "null";
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
    .join(",")}}`;
}

/** Nesting kept by amqpValueToJson; deeper values are replaced by a marker (pgJson keeps 64 levels anyway). */
export const AMQP_JSON_MAX_DEPTH = 64;

/**
 * AMQP header values as JSON: timestamps as ISO strings (or the number when it is no valid time), byte arrays as
 * base64, decimals as numbers, 64-bit integers beyond 2^53 as strings; nesting past `maxDepth` levels is replaced by
 * `{ depth }` rather than recursed into, so a hostile header cannot exhaust the stack.
 */
export function amqpValueToJson(v: unknown, maxDepth = AMQP_JSON_MAX_DEPTH): unknown {
  return toJson(v, 0, maxDepth);
}

function toJson(v: unknown, depth: number, maxDepth: number): unknown {
  if (v === null || v === undefined) return null;
  if (Buffer.isBuffer(v)) return { base64: v.toString("base64") };
  if (typeof v === "bigint") return v.toString();
  if (typeof v === "number") return Number.isFinite(v) ? v : String(v);
  if (v instanceof Date) return Number.isFinite(v.getTime()) ? v.toISOString() : null;
  if (typeof v !== "object") return v;
  if (depth >= maxDepth) return { depth: `nested deeper than ${maxDepth} levels: not stored` };
  if (Array.isArray(v)) return v.map((x) => toJson(x, depth + 1, maxDepth));
  const o = v as Record<string, unknown>;
  if (o["!"] === "timestamp" && typeof o.value === "number") {
    const t = new Date(o.value * 1000);
    return Number.isFinite(t.getTime()) ? t.toISOString() : o.value;
  }
  if (o["!"] === "decimal" && o.value && typeof o.value === "object") {
    const d = o.value as { places: number; digits: number };
    return d.digits / 10 ** d.places;
  }
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(o)) out[k] = toJson(x, depth + 1, maxDepth);
  return out;
}
