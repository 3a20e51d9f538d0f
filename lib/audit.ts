import { roles } from "./auth/roles";

/** How an audited action ended: done, refused for the actor's identity or role, or attempted and failed. */
export const auditOutcomes = ["ok", "denied", "failed"] as const;
export type AuditOutcome = (typeof auditOutcomes)[number];

/** The role an audit entry names: a role of lib/auth/roles.ts, or none for a request that had no identity. */
export const auditActorRoles = [...roles, "none"] as const;

/** Who acts, as a mutation receives it: the identity and where the request came from. */
export interface Actor {
  user: string;
  /** a role of lib/auth/roles.ts, or "none" when the request had no identity */
  role: string;
  requestId: string;
  clientAddress: string | null;
}

/** One audit entry: written in the same transaction as the change it records (db/queries/audit.ts recordAudit). */
export interface AuditEntry {
  actor: Actor;
  action: string;
  targetType: string;
  targetId?: string | null;
  details?: Record<string, unknown>;
  outcome: AuditOutcome;
}

/** The page an audit entry's target is shown on, when it has one. */
export function auditTargetHref(targetType: string, targetId: string | null): string | null {
  if (!targetId) return null;
  switch (targetType) {
    case "dead_letter":
      return /^\d+$/.test(targetId) ? `/dead-letters/${targetId}` : null;
    case "replay":
      return /^\d+$/.test(targetId) ? `/replays/${targetId}` : null;
    default:
      return null;
  }
}
