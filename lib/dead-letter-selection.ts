import { z } from "zod";
import { deadLetterStatuses } from "./dead-letters";

const text = (max: number) =>
  z
    .string()
    .max(max)
    .refine((s) => !s.includes("\u0000"), "must not contain a NUL character");

/** The list's filters as a JSON body: what "everything matching a filter" acts on. */
export const deadLetterFilterBody = z
  .object({
    system: z.enum(["kafka", "rabbitmq"]).optional(),
    source: text(500).optional(),
    exact: z.boolean().optional(),
    broker: text(200).optional(),
    vhost: text(500).optional(),
    reason: text(100).optional(),
    status: z.enum(deadLetterStatuses).optional(),
    traceId: z.string().regex(/^[0-9a-f]{32}$/, "must be 32 lower-case hex digits").optional(),
    q: text(500).optional(),
    group: z.string().regex(/^[0-9a-f]{16}$/, "must be a failure group id (16 hex digits)").optional(),
  })
  .strict();

/**
 * Which dead letters an action takes: ids (a selection, at most 1,000), a failure group, or everything matching a
 * filter. Exactly one.
 */
const selectionShape = {
  ids: z.array(z.number().int().positive().max(Number.MAX_SAFE_INTEGER)).min(1).max(1000).optional(),
  groupId: z.string().regex(/^[0-9a-f]{16}$/, "must be a failure group id (16 hex digits)").optional(),
  filter: deadLetterFilterBody.optional(),
};
export type DeadLetterSelection = { ids?: number[]; groupId?: string; filter?: z.output<typeof deadLetterFilterBody> };

/** A request body of a selection and the action's own fields: `{ ids? | groupId? | filter?, ...fields }`, strict. */
export function selectionBody<T extends z.ZodRawShape>(fields: T) {
  return z
    .object({ ...selectionShape, ...fields })
    .strict()
    .refine((s) => {
      const sel = s as DeadLetterSelection;
      return [sel.ids, sel.groupId, sel.filter].filter((x) => x !== undefined).length === 1;
    }, { message: "give exactly one of ids, groupId or filter", path: ["ids"] });
}

/** The selection part of such a body. */
export function selectionOf(b: DeadLetterSelection): DeadLetterSelection {
  return b.ids ? { ids: b.ids } : b.groupId ? { groupId: b.groupId } : { filter: b.filter ?? {} };
}
