/** How an audited action ended: done, refused for the actor's identity or role, or attempted and failed. */
export const auditOutcomes = ["ok", "denied", "failed"] as const;
export type AuditOutcome = (typeof auditOutcomes)[number];
