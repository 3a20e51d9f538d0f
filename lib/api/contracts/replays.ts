import { z } from "zod";
import { selectionBody, type DeadLetterSelection } from "../../dead-letter-selection";
import { replayItemStatuses, replayStatuses } from "../../replay-states";
import { skipReasons } from "../../replay/plan";
import { endpoint } from "../endpoint";
import { idSegment, queryLimit, safeText, utcTime } from "../common";
import { deadLetterSystems } from "./dead-letters";

/**
 * Where a replay sends, when the operator types it instead of each dead letter's own: a Kafka topic, or on RabbitMQ a
 * queue name (sent through the default exchange) or `exchange / routing key`. The collectors check it exists before
 * sending anything; a replay to a destination that does not exist fails with nothing sent.
 */
export const replayDestination = safeText(500)
  .min(1, "name a topic, a queue, or `exchange / routing key`")
  .refine((s) => s.trim() === s, "must not start or end with spaces")
  .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), "must not contain control characters");

export const createReplayBody = selectionBody({
  destination: replayDestination.optional(),
  /** messages per second, at most REPLAY_MAX_RATE (checked by the route: the limit is configuration) */
  ratePerSecond: z.number().int().min(1, "must be at least 1 message a second").max(1_000_000).optional(),
  dryRun: z.boolean().optional(),
  /** send again what was replayed already, or REPLAY_MAX_ATTEMPTS times */
  force: z.boolean().optional(),
  /** Kafka: send each record to the partition it was read from (else the key decides, as the producer's partitioner does) */
  keepPartition: z.boolean().optional(),
  /** the dry run's `plan.throughId`: replay exactly the dead letters that plan counted (ones captured since are left out) */
  throughId: z.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(),
});

export const replayPlanSchema = z
  .object({
    total: z.number().int().meta({ description: "dead letters in the selection" }),
    byDestination: z.array(z.object({ system: z.enum(deadLetterSystems), destination: z.string(), count: z.number().int() })).meta({ description: "where the sendable ones go" }),
    skipped: z.array(z.object({ reason: z.enum(skipReasons), count: z.number().int() })).meta({ description: "left out, and why" }),
    throughId: z.number().int().nullable().meta({ description: "the highest dead letter id in the plan: pass it to the real run to replay exactly what this plan counted" }),
  })
  .meta({ id: "ReplayPlan" });

export const replaySchema = z
  .object({
    id: z.number().int(),
    status: z.enum(replayStatuses),
    dryRun: z.boolean(),
    total: z.number().int().meta({ description: "dead letters in the selection (sent or skipped)" }),
    sent: z.number().int().meta({ description: "items handed to the broker (including those not yet confirmed)" }),
    confirmed: z.number().int().meta({ description: "items the broker confirmed (Kafka acks=all, RabbitMQ publisher confirm)" }),
    processed: z.number().int().meta({ description: "items whose consumer's span (a child of the replay's span) succeeded" }),
    failedAgain: z.number().int().meta({ description: "items whose consumer's span erred, or that came back dead-lettered with the replay id" }),
    skipped: z.number().int(),
    uncertain: z.number().int().meta({ description: "RabbitMQ items caught mid-send by a crash and sent again with the same message id: a consumer may have seen them twice" }),
    cancelled: z.number().int(),
    remaining: z.number().int().meta({ description: "items not yet sent" }),
    notObserved: z.number().int().meta({ description: "confirmed items with no consumer span seen yet (a consumer that exports no spans stays here)" }),
    ratePerSecond: z.number().int(),
    force: z.boolean(),
    destination: z.string().nullable().meta({ description: "the typed destination, or null for each dead letter's own" }),
    selection: z.record(z.string(), z.unknown()).meta({ description: "what was replayed: ids, a failure group or a filter" }),
    plan: replayPlanSchema,
    requestedBy: z.string(),
    requestedAt: utcTime,
    startedAt: utcTime.nullable(),
    finishedAt: utcTime.nullable(),
    error: z.string().nullable(),
  })
  .meta({ id: "Replay" });

const describeReplay = (b: DeadLetterSelection & { dryRun?: boolean; destination?: string }) => ({
  targetId: null,
  details: {
    ...(b.ids ? { ids: b.ids.slice(0, 100), requested: b.ids.length } : b.groupId ? { groupId: b.groupId } : { filter: b.filter }),
    ...(b.destination ? { destination: b.destination } : {}),
    dryRun: b.dryRun ?? false,
  },
});

export const createReplay = endpoint({
  method: "POST",
  path: "/api/v1/replays",
  tag: "replays",
  summary: "Plan a replay of dead letters (ids, a failure group, or a filter) and, unless a dry run, start it",
  description:
    "Needs the operator role. The plan (how many go where, which are skipped and why) is computed in Postgres. A dry run sends nothing and is recorded with its plan. The collectors send the replay at `ratePerSecond` (default 50, at most REPLAY_MAX_RATE). Audited.",
  role: "operator",
  body: createReplayBody,
  response: z.object({ id: z.number().int(), status: z.enum(replayStatuses), plan: replayPlanSchema }).meta({ id: "ReplayCreated" }),
  status: 201,
  errors: [404, 409],
  audit: { action: "replays.create", targetType: "replay", describe: describeReplay },
});

export const replayListQuery = z.object({
  status: z.enum(replayStatuses).optional(),
  /** include dry runs (left out unless asked) */
  dryRuns: z.enum(["true", "false"]).transform((v) => v === "true").optional(),
  cursor: z.string().regex(/^[1-9][0-9]{0,15}$/, "must be a cursor from the previous page").optional(),
  limit: queryLimit(200, 50),
});

export const listReplays = endpoint({
  method: "GET",
  path: "/api/v1/replays",
  tag: "replays",
  summary: "Replays, newest first, with their state and progress",
  role: "viewer",
  query: replayListQuery,
  response: z.object({ items: z.array(replaySchema), nextCursor: z.string().nullable() }).meta({ id: "ReplayList" }),
});

const replayParams = z.object({ id: idSegment("replay") });

export const getReplay = endpoint({
  method: "GET",
  path: "/api/v1/replays/{id}",
  tag: "replays",
  summary: "One replay: state and progress (sent, confirmed, processed, failed again, skipped, uncertain, remaining)",
  role: "viewer",
  params: replayParams,
  response: replaySchema,
  errors: [404],
});

export const replayItemSchema = z
  .object({
    id: z.number().int(),
    deadLetterId: z.number().int(),
    status: z.enum(replayItemStatuses),
    skipReason: z.enum(skipReasons).nullable(),
    destination: z.string().nullable(),
    sentAt: utcTime.nullable(),
    confirmedAt: utcTime.nullable(),
    settledAt: utcTime.nullable(),
    resent: z.boolean(),
    edited: z.boolean(),
    traceId: z.string().nullable(),
    spanId: z.string().nullable(),
    error: z.string().nullable(),
    /** the dead letter it came back as, when it failed again into a dead-letter queue or topic */
    failedAgainAs: z.number().int().nullable(),
  })
  .meta({ id: "ReplayItem" });

export const listReplayItems = endpoint({
  method: "GET",
  path: "/api/v1/replays/{id}/items",
  tag: "replays",
  summary: "A replay's items, in order, filtered by status",
  role: "viewer",
  params: replayParams,
  query: z.object({
    status: z.enum(replayItemStatuses).optional(),
    cursor: z.string().regex(/^[1-9][0-9]{0,15}$/, "must be a cursor from the previous page").optional(),
    limit: queryLimit(500, 100),
  }),
  response: z.object({ items: z.array(replayItemSchema), nextCursor: z.string().nullable() }).meta({ id: "ReplayItems" }),
  errors: [404],
});

const verb = (name: "pause" | "resume" | "cancel", summary: string) =>
  endpoint({
    method: "POST",
    path: `/api/v1/replays/{id}/${name}`,
    tag: "replays",
    summary,
    description: "Needs the operator role. A replay in a status the verb does not apply to (resume a finished one) answers 409. Audited.",
    role: "operator",
    params: replayParams,
    body: z.object({}).strict().optional(),
    response: replaySchema,
    errors: [404, 409],
    audit: { action: `replays.${name}`, targetType: "replay" },
  });

export const pauseReplay = verb("pause", "Pause a replay: the collectors stop sending within a second; items in flight finish");
export const resumeReplay = verb("resume", "Resume a paused replay");
export const cancelReplay = verb("cancel", "Cancel a replay: items not sent yet become cancelled and their dead letters get their status back");

/** Headers an edit may not set: the broker's, the dead-lettering's, trace context and Switchyard's own. */
export const editAndReplayBody = z
  .object({
    /** the new payload as text (UTF-8), or as base64 for bytes (a request body is at most 1 MiB) */
    payload: z.union([z.object({ text: z.string().max(1024 * 1024) }).strict(), z.object({ base64: z.string().max(1400 * 1024).regex(/^[A-Za-z0-9+/]*={0,2}$/, "must be base64") }).strict()]).optional(),
    /** the application headers to send, replacing the dead letter's own (reserved ones are refused) */
    headers: z
      .record(
        safeText(255)
          .min(1)
          .refine((k) => Buffer.byteLength(k, "utf8") <= 255, "a header name is at most 255 bytes (AMQP's limit)"),
        z.union([safeText(64 * 1024), z.number(), z.boolean()]),
      )
      .optional(),
    destination: replayDestination.optional(),
    ratePerSecond: z.number().int().min(1).max(1_000_000).optional(),
    force: z.boolean().optional(),
    reason: safeText(500).optional(),
  })
  .strict();

export const editAndReplay = endpoint({
  method: "POST",
  path: "/api/v1/dead-letters/{id}/edit-and-replay",
  tag: "replays",
  summary: "Replay one dead letter with an edited payload and/or headers; the original stays as captured and the edit is recorded (a diff in the audit entry)",
  description: "Needs the operator role. Reserved headers (broker, dead-lettering, trace context, x-switchyard-*) are refused with 400 naming them. Audited.",
  role: "operator",
  params: z.object({ id: idSegment("dead letter") }),
  body: editAndReplayBody,
  response: z.object({ id: z.number().int(), status: z.enum(replayStatuses), plan: replayPlanSchema }).meta({ id: "EditedReplayCreated" }),
  status: 201,
  errors: [404, 409],
  audit: { action: "replays.edit_and_replay", targetType: "dead_letter" },
});
