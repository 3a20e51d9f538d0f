import { statusSeverity, type GroupStatus } from "./group-health";
import type { GroupSummary } from "./group-summary";

/** Presentation logic for consumer groups, shared by the API and the pages (pure). */
export type { GroupSummary };

export const groupSortKeys = ["status", "lag", "lagSeconds", "eta", "group"] as const;
export type GroupSortKey = (typeof groupSortKeys)[number];

const n = (x: number | null) => (x === null ? -1 : x);

/**
 * Worst first by default: status severity, then lag in seconds, then lag. Inactive groups (shown only when asked
 * for) always come after the live ones: an abandoned group at STOP must not outrank a live one falling behind.
 */
export function sortGroups<T extends GroupSummary>(groups: T[], key: GroupSortKey = "status", dir: "asc" | "desc" = "desc"): T[] {
  const cmp: Record<GroupSortKey, (a: T, b: T) => number> = {
    status: (a, b) => statusSeverity[a.status] - statusSeverity[b.status] || n(a.maxLagSeconds) - n(b.maxLagSeconds) || n(a.totalLag) - n(b.totalLag),
    lag: (a, b) => n(a.totalLag) - n(b.totalLag),
    lagSeconds: (a, b) => n(a.maxLagSeconds) - n(b.maxLagSeconds),
    // "not catching up" (null) sorts as the worst ETA
    eta: (a, b) => (a.etaSeconds ?? Infinity) - (b.etaSeconds ?? Infinity),
    group: (a, b) => a.groupId.localeCompare(b.groupId) || a.cluster.localeCompare(b.cluster),
  };
  const sign = dir === "desc" ? -1 : 1;
  return [...groups].sort((a, b) => Number(a.inactive) - Number(b.inactive) || sign * cmp[key](a, b) || a.groupId.localeCompare(b.groupId));
}

/** Groups matching the filter; inactive ones (no members past KAFKA_INACTIVE_AFTER) only when asked for. */
export function filterGroups<T extends GroupSummary>(groups: T[], f: { q?: string; status?: GroupStatus[]; cluster?: string; inactive?: boolean }): T[] {
  const q = f.q?.toLowerCase();
  return groups.filter(
    (g) =>
      (!q || g.groupId.toLowerCase().includes(q)) && (!f.status?.length || f.status.includes(g.status)) && (!f.cluster || g.cluster === f.cluster) && (f.inactive || !g.inactive),
  );
}

/** Whether a group with no members since `emptySince` is inactive at `nowMs`. */
export const isInactive = (emptySince: Date | null, inactiveAfterMs: number, nowMs: number): boolean => emptySince !== null && nowMs - emptySince.getTime() > inactiveAfterMs;

/** "3 min 20 s", "2 h 5 min", "4 d 3 h": lag and ETA as an engineer reads them. */
export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return "—";
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ""}`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h${Math.floor((s % 3600) / 60) ? ` ${Math.floor((s % 3600) / 60)} min` : ""}`;
  return `${Math.floor(s / 86_400)} d${Math.floor((s % 86_400) / 3600) ? ` ${Math.floor((s % 86_400) / 3600)} h` : ""}`;
}

export function ownerOf(members: { memberId: string; clientId: string; host: string; assignment: Record<string, number[]> }[], topic: string, partition: number) {
  const m = members.find((x) => x.assignment[topic]?.includes(partition));
  return m ? { memberId: m.memberId, clientId: m.clientId, host: m.host } : null;
}

/** Compact duration for chart axes: one unit, rounded ("45 s", "22 min", "3 h", "2 d"). */
export function formatDurationShort(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 86_400) return `${Math.round(seconds / 360) / 10} h`;
  return `${Math.round(seconds / 8640) / 10} d`;
}

/** A timestamp for tables and incident channels: UTC, to the second, sortable. */
export function formatTimestamp(iso: string | null): string {
  return iso ? `${iso.slice(0, 19).replace("T", " ")}Z` : "—";
}
