import "server-only";
import { z } from "zod";
import { getDeadLetter, listDeadLetterPage } from "@/db/queries/dead-letters";
import { deadLetterStatuses, payloadView } from "@/lib/dead-letters";
import { NotFoundError } from "@/lib/errors";
import { serverContext } from "./context";

/** Postgres text cannot hold U+0000: a filter with it is refused, not sent. */
const filterText = (max: number) => z.string().max(max).refine((s) => !s.includes("\u0000"), "must not contain NUL (%00)");

export const deadLetterListQuery = z.object({
  system: z.enum(["kafka", "rabbitmq"]).optional(),
  /** the start of a topic or queue name (`shop.orders` finds `shop.orders.DLT`), or a glob: `shop.*`, `*.DLT` */
  source: filterText(500).optional(),
  /** `exact=true`: `source` is one name even with `*` or `?` in it (the queue pages link so) */
  exact: z.enum(["true", "false"]).transform((v) => v === "true").optional(),
  /** the configured cluster or broker */
  broker: filterText(200).optional(),
  /** the RabbitMQ virtual host (a queue name is unique only within its vhost) */
  vhost: filterText(500).optional(),
  reason: filterText(100).optional(),
  status: z.enum(deadLetterStatuses).optional(),
  traceId: z
    .string()
    .regex(/^[0-9a-fA-F]{32}$/, "must be 32 hex digits")
    .transform((s) => s.toLowerCase())
    .optional(),
  /** free text over payload, Kafka key, headers, error, destination, source, trace id */
  q: filterText(500).optional(),
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

export async function listDeadLetterItems(q: z.infer<typeof deadLetterListQuery>) {
  const { db } = serverContext();
  const { broker, ...filter } = q;
  const { rows, nextCursor } = await listDeadLetterPage(db.db, { ...filter, ...(broker ? { sourceName: broker } : {}) });
  return {
    items: rows.map(({ positionAt, messageKey, ...r }) => ({
      ...r,
      /** the time the list is ordered by: last death, else first, else capture */
      deadAt: new Date(positionAt).toISOString(),
      firstDeadAt: r.firstDeadAt?.toISOString() ?? null,
      lastDeadAt: r.lastDeadAt?.toISOString() ?? null,
      capturedAt: r.capturedAt.toISOString(),
      /** the Kafka record key: text when it is UTF-8, else only base64 */
      key: messageKey ? keyView(messageKey) : null,
    })),
    nextCursor,
  };
}

/** A message key for a list row: short, text when it is text (rendered as text), base64 otherwise. */
function keyView(key: Buffer) {
  const v = payloadView(key.subarray(0, 256));
  return { text: v.text, base64: v.base64, encoding: v.encoding, truncated: key.length > 256, sizeBytes: key.length };
}

/** A dead letter's id as the API gives it out: digits only (no "1e3", "0x10" or " 7"), within a safe integer. */
export const idParam = z
  .string()
  .regex(/^[1-9][0-9]{0,15}$/, "must be a dead letter id (a positive whole number)")
  .transform(Number)
  .pipe(z.number().max(Number.MAX_SAFE_INTEGER, "must be a dead letter id (a positive whole number)"));

export async function getDeadLetterItem(id: number) {
  const { db } = serverContext();
  const r = await getDeadLetter(db.db, id);
  if (!r) throw new NotFoundError(`no dead letter ${id}`);
  const { payload, messageKey, dedupKey: _dedup, capturePending: _pending, payloadSize, payloadTruncated, ...rest } = r;
  return {
    ...rest,
    sizeBytes: payloadSize,
    firstDeadAt: r.firstDeadAt?.toISOString() ?? null,
    lastDeadAt: r.lastDeadAt?.toISOString() ?? null,
    capturedAt: r.capturedAt.toISOString(),
    key: messageKey ? payloadView(messageKey) : null,
    payload: { ...payloadView(payload), truncated: payloadTruncated, storedBytes: payload.length, sizeBytes: payloadSize },
  };
}

export type DeadLetterList = Awaited<ReturnType<typeof listDeadLetterItems>>;
export type DeadLetterDetail = Awaited<ReturnType<typeof getDeadLetterItem>>;
