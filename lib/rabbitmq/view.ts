import type { Queue } from "./queue-summary";

/** Sorting and filtering of the queue list, shared by the API (pure): the fields of a queue (queue-summary.ts) they read. */
export type QueueSummary = Pick<
  Queue,
  "broker" | "vhost" | "name" | "ready" | "unacked" | "consumers" | "publishRate" | "deliverRate" | "isDeadLetterQueue" | "dlxMissing" | "drainEtaSeconds" | "growthRate"
>;

export const queueSortKeys = ["ready", "unacked", "consumers", "publishRate", "deliverRate", "growth", "name"] as const;
export type QueueSortKey = (typeof queueSortKeys)[number];

const n = (x: number | null) => (x === null ? -1 : x);

export function sortQueues<T extends QueueSummary>(qs: T[], key: QueueSortKey = "ready", dir: "asc" | "desc" = "desc"): T[] {
  const get: Record<Exclude<QueueSortKey, "name">, (q: T) => number> = {
    ready: (q) => n(q.ready),
    unacked: (q) => n(q.unacked),
    consumers: (q) => n(q.consumers),
    publishRate: (q) => n(q.publishRate),
    deliverRate: (q) => n(q.deliverRate),
    growth: (q) => q.growthRate ?? -Infinity,
  };
  const sign = dir === "desc" ? -1 : 1;
  return [...qs].sort((a, b) => {
    const c = key === "name" ? a.name.localeCompare(b.name) : get[key](a) - get[key](b);
    return sign * c || a.name.localeCompare(b.name) || a.vhost.localeCompare(b.vhost);
  });
}

export function filterQueues<T extends QueueSummary>(qs: T[], f: { q?: string; broker?: string; vhost?: string; dlq?: boolean; problems?: boolean }): T[] {
  const q = f.q?.toLowerCase();
  return qs.filter(
    (x) =>
      (!q || x.name.toLowerCase().includes(q)) &&
      (!f.broker || x.broker === f.broker) &&
      (!f.vhost || x.vhost === f.vhost) &&
      (!f.dlq || x.isDeadLetterQueue) &&
      (!f.problems || x.dlxMissing || (x.consumers === 0 && (x.ready ?? 0) > 0) || (x.isDeadLetterQueue && (x.ready ?? 0) > 0)),
  );
}

export { captureModes, type CaptureMode } from "./capture-modes";

/** What the queue pages say about a dead-letter queue's capture. */
export function captureModeText(mode: string | null, error: string | null): string | null {
  switch (mode) {
    case "capture":
      return "captured into Switchyard";
    case "observe-stream":
      return "read from the stream, never drained";
    case "monitor-only":
      return "monitored by depth only";
    case "not-captured":
      return `not captured: ${error ?? "the collectors cannot consume it"}`;
    default:
      return null;
  }
}
