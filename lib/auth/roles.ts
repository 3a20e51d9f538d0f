/** Who may do what: viewer reads everything, operator also replays, discards and edits, admin also configures. */
export const roles = ["viewer", "operator", "admin"] as const;
export type Role = (typeof roles)[number];

const rank: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

/** Whether `role` includes everything `needed` may do. */
export function hasRole(role: Role, needed: Role): boolean {
  return rank[role] >= rank[needed];
}

export function isRole(s: string): s is Role {
  return (roles as readonly string[]).includes(s);
}
