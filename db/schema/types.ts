import { sql, type SQL } from "drizzle-orm";
import { customType, type AnyPgColumn } from "drizzle-orm/pg-core";

/** Raw message bytes, stored as they came off the broker. */
export const bytea = customType<{ data: Buffer; driverData: Buffer }>({
  dataType: () => "bytea",
});

/** Timestamps everywhere are timestamptz with millisecond Date values. */
export const tsOpts = { withTimezone: true, mode: "date" } as const;

/**
 * A check constraint's condition: the column holds one of the values of a list of states defined once in lib/ (the
 * same constant gives the zod enum and the UI's options). A null passes; notNull() says whether one may be stored.
 */
export function oneOf(column: AnyPgColumn, values: readonly string[]): SQL {
  return sql`${column} in (${sql.raw(values.map((v) => `'${v.replace(/'/g, "''")}'`).join(", "))})`;
}
