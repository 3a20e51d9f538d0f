import { z } from "zod";
import { auditOutcomes } from "../../audit";
import { endpoint } from "../endpoint";
import { isoTime, queryLimit, safeText } from "../common";

export const auditListQuery = z
  .object({
    actor: safeText(200).optional(),
    action: safeText(200).optional(),
    targetType: safeText(100).optional(),
    targetId: safeText(500).optional(),
    outcome: z.enum(auditOutcomes).optional(),
    from: isoTime.optional(),
    to: isoTime.optional(),
    cursor: z.string().max(500).optional(),
    limit: queryLimit(500, 100),
  })
  .refine((q) => !q.from || !q.to || Date.parse(q.from) <= Date.parse(q.to), { message: "from is after to", path: ["from"] });
export type AuditListQuery = z.output<typeof auditListQuery>;

export const auditEntrySchema = z
  .object({
    id: z.number().int(),
    at: z.string().meta({ description: "ISO 8601, UTC" }),
    actor: z.string(),
    role: z.string().meta({ description: "viewer, operator, admin, or none for a request without identity" }),
    action: z.string(),
    targetType: z.string(),
    targetId: z.string().nullable(),
    details: z.record(z.string(), z.unknown()),
    outcome: z.enum(auditOutcomes),
    requestId: z.string().nullable(),
    clientAddress: z.string().nullable(),
    /** the dashboard page of what the entry acted on, when there is one */
    href: z.string().nullable(),
  })
  .meta({ id: "AuditEntry" });

export const listAudit = endpoint({
  method: "GET",
  path: "/api/v1/audit",
  tag: "audit",
  summary: "The audit log, newest first: every mutation, sign-in and sign-out, and every denied request",
  role: "viewer",
  query: auditListQuery,
  response: z.object({ items: z.array(auditEntrySchema), nextCursor: z.string().nullable() }).meta({ id: "AuditPage" }),
});
