/**
 * A length of time as people write it: seconds (`90`), or a number with s, m, h or d (`30s`, `5m`, `1.5h`, `2d`).
 * One parser for the configuration (WORKFLOW_STUCK_AFTER) and the API (a workflow's age).
 */
const units = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Milliseconds, or null for text that is no positive duration. */
export function parseDuration(s: string): number | null {
  const m = /^\s*(\d{1,9}(?:\.\d{1,6})?)\s*([smhd])?\s*$/.exec(s);
  if (!m) return null;
  const ms = Math.round(Number(m[1]) * units[(m[2] ?? "s") as keyof typeof units]);
  return ms > 0 ? ms : null;
}

export const durationHint = "seconds, or a number with s, m, h or d (5m)";
