import { bigint, bigserial, boolean, check, index, integer, jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { deadLetters } from "./dead-letters";
import { oneOf, tsOpts } from "./types";
import { replayItemStatuses, replayStatuses } from "../../lib/replay-states";

/** A replay job: a set of dead letters sent back to their original (or a chosen) destination. */
export const replays = pgTable(
  "replays",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    requestedBy: text("requested_by").notNull(),
    requestedAt: timestamp("requested_at", tsOpts).notNull().defaultNow(),
    /** lib/replay-states.ts replayStatuses */
    status: text("status").notNull().default("pending"),
    dryRun: boolean("dry_run").notNull().default(false),
    filter: jsonb("filter").$type<Record<string, unknown>>().notNull().default({}),
    target: jsonb("target").$type<Record<string, unknown>>(),
    total: integer("total").notNull().default(0),
    succeeded: integer("succeeded").notNull().default(0),
    failed: integer("failed").notNull().default(0),
    finishedAt: timestamp("finished_at", tsOpts),
  },
  (t) => [index("replays_time").on(t.requestedAt.desc()), check("replays_status_check", oneOf(t.status, replayStatuses))],
);

export const replayItems = pgTable(
  "replay_items",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    replayId: bigint("replay_id", { mode: "number" })
      .notNull()
      .references(() => replays.id, { onDelete: "cascade" }),
    deadLetterId: bigint("dead_letter_id", { mode: "number" })
      .notNull()
      .references(() => deadLetters.id),
    /** lib/replay-states.ts replayItemStatuses */
    status: text("status").notNull().default("pending"),
    error: text("error"),
    sentAt: timestamp("sent_at", tsOpts),
  },
  (t) => [index("replay_items_replay").on(t.replayId, t.status), index("replay_items_dead_letter").on(t.deadLetterId), check("replay_items_status_check", oneOf(t.status, replayItemStatuses))],
);
