import { z } from "zod";
import { deadLetterStatuses } from "../../dead-letters";
import { endpoint } from "../endpoint";
import { idSegment, safeText, unspecified } from "../common";

export const deadLetterListQuery = z.object({
  system: z.enum(["kafka", "rabbitmq"]).optional(),
  /** the start of a topic or queue name (`shop.orders` finds `shop.orders.DLT`), or a glob: `shop.*`, `*.DLT` */
  source: safeText(500).optional(),
  /** `exact=true`: `source` is one name even with `*` or `?` in it (the queue pages link so) */
  exact: z.enum(["true", "false"]).transform((v) => v === "true").optional(),
  /** the configured cluster or broker */
  broker: safeText(200).optional(),
  /** the RabbitMQ virtual host (a queue name is unique only within its vhost) */
  vhost: safeText(500).optional(),
  reason: safeText(100).optional(),
  status: z.enum(deadLetterStatuses).optional(),
  traceId: z
    .string()
    .regex(/^[0-9a-fA-F]{32}$/, "must be 32 hex digits")
    .transform((s) => s.toLowerCase())
    .optional(),
  /** free text over payload, Kafka key, headers, error, destination, source, trace id */
  q: safeText(500).optional(),
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
export type DeadLetterListQuery = z.output<typeof deadLetterListQuery>;

export const listDeadLetters = endpoint({
  method: "GET",
  path: "/api/v1/dead-letters",
  tag: "dead-letters",
  summary: "Captured dead letters, newest death first, filtered; cursor-paged",
  role: "viewer",
  query: deadLetterListQuery,
  response: unspecified,
});

export const getDeadLetter = endpoint({
  method: "GET",
  path: "/api/v1/dead-letters/{id}",
  tag: "dead-letters",
  summary: "One dead letter: payload (text or base64), key, headers, death history",
  role: "viewer",
  params: z.object({ id: idSegment("dead letter") }),
  response: unspecified,
  errors: [404],
});

export const discardDeadLetters = endpoint({
  method: "POST",
  path: "/api/v1/dead-letters/discard",
  tag: "dead-letters",
  summary: "Discard dead letters by id: they stay stored, marked discarded, and are never replayed",
  description: "Needs the operator role. One id whose status forbids it (replaying, already discarded) answers 409; in a list such ids are skipped and named. Audited.",
  role: "operator",
  body: z
    .object({
      ids: z.array(z.number().int().positive().max(Number.MAX_SAFE_INTEGER)).min(1).max(1000),
      note: safeText(500).optional(),
    })
    .strict(),
  response: z
    .object({
      discarded: z.array(z.number().int()),
      skipped: z.array(z.object({ id: z.number().int(), status: z.enum(deadLetterStatuses) })),
      missing: z.array(z.number().int()),
    })
    .meta({ id: "DiscardResult" }),
  errors: [404, 409, 413],
  audit: { action: "dead_letters.discard", targetType: "dead_letter" },
});
