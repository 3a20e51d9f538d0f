import { z } from "zod";
import { deadLetterStatuses, deadLetterSystems } from "../../dead-letters";
import { selectionBody, type DeadLetterSelection } from "../../dead-letter-selection";
import { endpoint } from "../endpoint";
import { idSegment, queryLimit, safeText, utcTime } from "../common";

export { deadLetterSystems };

export const deadLetterListQuery = z.object({
  system: z.enum(deadLetterSystems).optional(),
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
  /** a failure group's id (GET /api/v1/dead-letters/groups) */
  group: z.string().regex(/^[0-9a-f]{16}$/, "must be a failure group id (16 hex digits)").optional(),
  cursor: z.string().max(200).optional(),
  limit: queryLimit(500, 100),
});
export type DeadLetterListQuery = z.output<typeof deadLetterListQuery>;

/** Bytes for display (lib/dead-letters.ts payloadView): always base64, and the text too when they are valid UTF-8. */
export const payloadViewSchema = z
  .object({
    base64: z.string(),
    text: z.string().nullable().meta({ description: "the bytes as text when they are UTF-8 without control characters; hostile input, render it as text" }),
    encoding: z.enum(["utf8", "binary"]),
  })
  .meta({ id: "PayloadView" });

const deadLetterFields = {
  id: z.number().int(),
  system: z.enum(deadLetterSystems),
  sourceName: z.string().meta({ description: "the configured cluster or broker" }),
  vhost: z.string().nullable().meta({ description: "RabbitMQ's virtual host; null for Kafka" }),
  source: z.string().meta({ description: "the dead-letter topic or queue" }),
  originalDestination: z.string().nullable().meta({ description: "the topic or queue the message died in" }),
  reason: z.string().nullable().meta({ description: "rejected, expired, maxlen, delivery_limit, exception, ..." }),
  errorType: z.string().nullable(),
  errorMessage: z.string().nullable(),
  deathCount: z.number().int(),
  firstDeadAt: utcTime.nullable(),
  lastDeadAt: utcTime.nullable(),
  traceId: z.string().nullable(),
  status: z.enum(deadLetterStatuses),
  capturedAt: utcTime,
} as const;

export const deadLetterListItemSchema = z
  .object({
    ...deadLetterFields,
    sizeBytes: z.number().int().meta({ description: "the payload's size as it came" }),
    truncated: z.boolean().meta({ description: "only the first bytes of the payload were stored" }),
    consumerGroup: z.string().nullable().meta({ description: "Kafka: the consumer group that gave up on the record" }),
    deadAt: utcTime.meta({ description: "the time the list is ordered by: last death, else first, else capture" }),
    failureGroup: z.string().nullable().meta({ description: "the failure group's id (null until the collectors have grouped an older row)" }),
    key: payloadViewSchema
      .extend({ truncated: z.boolean().meta({ description: "only the first 256 bytes are shown" }), sizeBytes: z.number().int() })
      .nullable()
      .meta({ description: "the Kafka record key (its first 256 bytes)" }),
  })
  .meta({ id: "DeadLetterListItem" });

export const deadLetterListSchema = z
  .object({
    items: z.array(deadLetterListItemSchema),
    nextCursor: z.string().nullable().meta({ description: "pass as `cursor` for the next page; null on the last" }),
  })
  .meta({ id: "DeadLetterList" });

export const deadLetterDetailSchema = z
  .object({
    ...deadLetterFields,
    headers: z.record(z.string(), z.unknown()).meta({ description: "the message's headers as captured (hostile input)" }),
    properties: z.record(z.string(), z.unknown()).meta({ description: "RabbitMQ message properties, or Kafka's parsed Spring headers" }),
    kafkaPartition: z.number().int().nullable(),
    kafkaOffset: z.number().int().nullable(),
    originalExchange: z.string().nullable(),
    originalRoutingKey: z.string().nullable(),
    captureError: z.string().nullable().meta({ description: "set when the row is kept in quarantine form: why Postgres refused it as captured" }),
    statusReason: z.string().nullable().meta({ description: "why a person last set the status (a discard's reason)" }),
    statusChangedBy: z.string().nullable(),
    statusChangedAt: utcTime.nullable(),
    failureGroup: z.string().nullable().meta({ description: "the failure group's id" }),
    replayId: z.number().int().nullable().meta({ description: "the replay that sent this message when it came back dead-lettered (it failed again)" }),
    sizeBytes: z.number().int(),
    key: payloadViewSchema.nullable().meta({ description: "the Kafka record key" }),
    payload: payloadViewSchema
      .extend({
        truncated: z.boolean().meta({ description: "only the first bytes were stored" }),
        storedBytes: z.number().int(),
        sizeBytes: z.number().int().meta({ description: "the size as it came" }),
      })
      .meta({ description: "the payload as stored" }),
  })
  .meta({ id: "DeadLetter" });

export const listDeadLetters = endpoint({
  method: "GET",
  path: "/api/v1/dead-letters",
  tag: "dead-letters",
  summary: "Captured dead letters, newest death first, filtered; cursor-paged",
  role: "viewer",
  query: deadLetterListQuery,
  response: deadLetterListSchema,
});

export const getDeadLetter = endpoint({
  method: "GET",
  path: "/api/v1/dead-letters/{id}",
  tag: "dead-letters",
  summary: "One dead letter: payload (text or base64), key, headers, death history",
  role: "viewer",
  params: z.object({ id: idSegment("dead letter") }),
  response: deadLetterDetailSchema,
  errors: [404],
});

export const failureGroupQuery = deadLetterListQuery.omit({ cursor: true, group: true }).extend({
  limit: queryLimit(200, 50),
});
export type FailureGroupQuery = z.output<typeof failureGroupQuery>;

export const failureGroupSchema = z
  .object({
    id: z.string().meta({ description: "16 hex digits; `group=` on the dead-letter list" }),
    system: z.enum(deadLetterSystems),
    originalDestination: z.string().nullable(),
    sources: z.array(z.string()).meta({ description: "dead-letter topics or queues holding the group (at most 5)" }),
    reason: z.string().nullable(),
    errorType: z.string().nullable().meta({ description: "the root exception type (Spring Kafka's cause when the outer type only wraps it)" }),
    message: z.string().nullable().meta({ description: "the error message with ids, numbers, UUIDs and quoted values masked" }),
    example: z.string().nullable().meta({ description: "one real error message of the group (its first 500 characters)" }),
    count: z.number().int(),
    firstSeen: utcTime,
    lastSeen: utcTime,
    statusCounts: z.object(Object.fromEntries(deadLetterStatuses.map((s) => [s, z.number().int()])) as Record<(typeof deadLetterStatuses)[number], z.ZodNumber>),
    trend: z.array(z.number().int()).meta({ description: "deaths per hour over the last 24 hours, oldest first" }),
  })
  .meta({ id: "FailureGroup" });

export const listFailureGroups = endpoint({
  method: "GET",
  path: "/api/v1/dead-letters/groups",
  tag: "dead-letters",
  summary: "Failure groups: dead letters grouped by original destination, reason, root exception type and masked error message, largest first",
  role: "viewer",
  query: failureGroupQuery,
  response: z
    .object({ items: z.array(failureGroupSchema), trendFrom: utcTime.meta({ description: "start of the trend's first hour" }) })
    .meta({ id: "FailureGroups" }),
});

const statusChangeSchema = z
  .object({
    changed: z.number().int().meta({ description: "how many dead letters changed" }),
    ids: z.array(z.number().int()).meta({ description: "the first 1,000 ids changed" }),
    skipped: z.number().int().meta({ description: "how many of the selection have a status that forbids the change" }),
    skippedIds: z.array(z.object({ id: z.number().int(), status: z.enum(deadLetterStatuses) })).meta({ description: "the first 100 of them" }),
    missing: z.array(z.number().int()).meta({ description: "ids of the selection that name no dead letter" }),
  })
  .meta({ id: "StatusChange" });

const describeSelection = (b: DeadLetterSelection & { reason?: string }) => ({
  targetId: b.groupId ?? (b.ids?.length === 1 ? String(b.ids[0]) : null),
  details: { ...(b.ids ? { ids: b.ids.slice(0, 100), requested: b.ids.length } : b.groupId ? { groupId: b.groupId } : { filter: b.filter }), ...(b.reason ? { reason: b.reason } : {}) },
});

export const discardDeadLetters = endpoint({
  method: "POST",
  path: "/api/v1/dead-letters/discard",
  tag: "dead-letters",
  summary: "Discard dead letters (ids, a failure group, or everything matching a filter) with a reason: they stay stored, marked discarded, and are never replayed; restore brings them back",
  description: "Needs the operator role. One id whose status forbids it (replaying, already discarded) answers 409; otherwise such dead letters are skipped and counted. Audited.",
  role: "operator",
  body: selectionBody({ reason: safeText(500).min(1, "say why they are discarded") }),
  response: statusChangeSchema,
  errors: [404, 409, 413],
  audit: { action: "dead_letters.discard", targetType: "dead_letter", describe: describeSelection },
});

export const restoreDeadLetters = endpoint({
  method: "POST",
  path: "/api/v1/dead-letters/restore",
  tag: "dead-letters",
  summary: "Restore discarded dead letters (ids, a failure group, or a filter): they are new again",
  description: "Needs the operator role. Dead letters that are not discarded are skipped and counted; one id that is not discarded answers 409. Audited.",
  role: "operator",
  body: selectionBody({ note: safeText(500).optional() }),
  response: statusChangeSchema,
  errors: [404, 409, 413],
  audit: { action: "dead_letters.restore", targetType: "dead_letter", describe: describeSelection },
});
