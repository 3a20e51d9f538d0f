import "server-only";
import { listAudit } from "@/db/queries/audit";
import type { AuditListQuery } from "@/lib/api/contracts/audit";
import { auditTargetHref, type AuditOutcome } from "@/lib/audit";
import { timeIdCursor } from "@/lib/cursor";
import { serverContext } from "./context";

export async function listAuditEntries(q: AuditListQuery) {
  const { db } = serverContext();
  const after = q.cursor ? timeIdCursor.decode(q.cursor) : undefined;
  const rows = await listAudit(db.db, {
    actor: q.actor,
    action: q.action,
    targetType: q.targetType,
    targetId: q.targetId,
    outcome: q.outcome,
    from: q.from ? new Date(q.from) : undefined,
    to: q.to ? new Date(q.to) : undefined,
    after: after ? { at: after.t, id: after.id } : undefined,
    limit: q.limit + 1,
  });
  const page = rows.slice(0, q.limit);
  const last = page[page.length - 1];
  return {
    items: page.map((r) => ({
      id: r.id,
      at: r.at.toISOString(),
      actor: r.actor,
      role: r.role,
      action: r.action,
      targetType: r.targetType,
      targetId: r.targetId,
      details: r.details,
      outcome: r.outcome as AuditOutcome,
      requestId: r.requestId,
      clientAddress: r.clientAddress,
      href: auditTargetHref(r.targetType, r.targetId),
    })),
    nextCursor: rows.length > q.limit && last ? timeIdCursor.encode({ t: last.at.toISOString(), id: last.id }) : null,
  };
}
