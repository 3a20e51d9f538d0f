import { createHash } from "node:crypto";
import { z } from "zod";
import { traceIdFromTraceparent } from "../traceparent";

/**
 * What a RabbitMQ dead letter says about its death. RabbitMQ adds `x-death` (an array, most recent death first, one
 * entry per queue+reason with a count), `x-first-death-queue/-reason/-exchange` and, from 3.13, `x-last-death-*`;
 * quorum queues count redeliveries in `x-delivery-count`. Services add their own error headers (MassTransit's
 * `MT-Fault-*`, ours `x-last-error`/`x-error`). Headers are hostile input: every field is validated, and anything
 * malformed is ignored rather than trusted.
 */
const timestamp = z.union([
  z.object({ "!": z.literal("timestamp"), value: z.number() }).transform((t) => new Date(t.value * 1000)),
  z.number().transform((s) => new Date(s * 1000)),
  z.date(),
]);

const deathEntry = z.object({
  queue: z.string(),
  reason: z.string(),
  count: z.coerce.number().int().nonnegative().catch(1),
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
  const raw = Array.isArray(h["x-death"]) ? h["x-death"] : [];
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
  const times = deaths.map((d) => d.time).filter((t): t is Date => !!t);
  const delivery = Number(h["x-delivery-count"]);
  return {
    reason: lastReason,
    originalQueue: firstQueue,
    originalExchange: firstExchange,
    // the default exchange routes by queue name
    originalRoutingKey: routingKey ?? (firstExchange === "" ? firstQueue : null),
    deathCount: deaths.reduce((n, d) => n + d.count, 0) || (firstQueue ? 1 : 0),
    firstDeadAt: times.length ? new Date(Math.min(...times.map((t) => t.getTime()))) : null,
    lastDeadAt: times.length ? new Date(Math.max(...times.map((t) => t.getTime()))) : null,
    deliveryCount: Number.isFinite(delivery) ? delivery : null,
    errorType: str(h["MT-Fault-ExceptionType"]) ?? str(h["x-exception-type"]),
    errorMessage: str(h["MT-Fault-Message"]) ?? str(h["x-exception-message"]) ?? str(h["x-last-error"]) ?? str(h["x-error"]),
    stacktrace: str(h["MT-Fault-StackTrace"]),
    traceId: traceIdFromTraceparent(h.traceparent),
    deaths,
  };
}

/**
 * Idempotency key of a captured dead letter: its message id when it has one, otherwise a hash of its content, plus
 * its first death time and death count. A redelivery after a crash repeats all three; dying again after a replay
 * does not.
 */
export function rabbitDedupKey(messageId: string | undefined | null, content: Buffer, death: RabbitDeath): string {
  const id = messageId ? `id:${messageId}` : `sha256:${createHash("sha256").update(content).digest("hex")}`;
  return `${id}|${death.firstDeadAt?.getTime() ?? "-"}|${death.originalQueue ?? "-"}|${death.deathCount}`;
}

/** AMQP header values as JSON: timestamps as ISO strings, byte arrays as base64, decimals as numbers. */
export function amqpValueToJson(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (Buffer.isBuffer(v)) return { base64: v.toString("base64") };
  if (Array.isArray(v)) return v.map(amqpValueToJson);
  if (typeof v === "bigint") return v.toString();
  if (v instanceof Date) return v.toISOString();
  if (typeof v === "object") {
    const o = v as Record<string, unknown>;
    if (o["!"] === "timestamp" && typeof o.value === "number") return new Date(o.value * 1000).toISOString();
    if (o["!"] === "decimal" && o.value && typeof o.value === "object") {
      const d = o.value as { places: number; digits: number };
      return d.digits / 10 ** d.places;
    }
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(o)) out[k] = amqpValueToJson(x);
    return out;
  }
  return v;
}
