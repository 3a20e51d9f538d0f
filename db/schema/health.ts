import { boolean, jsonb, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";
import { tsOpts } from "./types";

/** The collectors' latest view of each configured source; the dashboard reads it for /api/v1/health. */
export const sourceHealth = pgTable(
  "source_health",
  {
    /** kafka | rabbitmq | postgres | otlp */
    system: text("system").notNull(),
    name: text("name").notNull(),
    healthy: boolean("healthy").notNull(),
    error: text("error"),
    details: jsonb("details").$type<Record<string, unknown>>().notNull().default({}),
    checkedAt: timestamp("checked_at", tsOpts).notNull(),
  },
  (t) => [primaryKey({ columns: [t.system, t.name] })],
);
