import { bigint, bigserial, boolean, index, integer, jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { deadLetters } from "./dead-letters";
import { tsOpts } from "./types";

/** A replay job: a set of dead letters sent back to their original (or a chosen) destination. */
export const replays = pgTable(
  "replays",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    requestedBy: text("requested_by").notNull(),
    requestedAt: timestamp("requested_at", tsOpts).notNull().defaultNow(),
    /** pending | running | done | failed | cancelled */
    status: text("status").notNull().default("pending"),
    dryRun: boolean("dry_run").notNull().default(false),
    filter: jsonb("filter").$type<Record<string, unknown>>().notNull().default({}),
    target: jsonb("target").$type<Record<string, unknown>>(),
    total: integer("total").notNull().default(0),
    succeeded: integer("succeeded").notNull().default(0),
    failed: integer("failed").notNull().default(0),
    finishedAt: timestamp("finished_at", tsOpts),
  },
  (t) => [index("replays_time").on(t.requestedAt.desc())],
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
    /** pending | sent | failed | skipped */
    status: text("status").notNull().default("pending"),
    error: text("error"),
    sentAt: timestamp("sent_at", tsOpts),
  },
  (t) => [index("replay_items_replay").on(t.replayId, t.status), index("replay_items_dead_letter").on(t.deadLetterId)],
);
