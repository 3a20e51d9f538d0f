import { customType } from "drizzle-orm/pg-core";

/** Raw message bytes, stored as they came off the broker. */
export const bytea = customType<{ data: Buffer; driverData: Buffer }>({
  dataType: () => "bytea",
});

/** Timestamps everywhere are timestamptz with millisecond Date values. */
export const tsOpts = { withTimezone: true, mode: "date" } as const;
