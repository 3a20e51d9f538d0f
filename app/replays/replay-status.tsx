import type { ReplayItemStatus, ReplayStatus } from "@/lib/replay-states";

/** A replay's or an item's status as a badge (text only; the class colours it). */
export function ReplayStatusBadge({ status }: { status: ReplayStatus | ReplayItemStatus }) {
  return (
    <span className={`badge replay-status replay-${status}`} data-status={status}>
      {status.replace("_", " ")}
    </span>
  );
}
