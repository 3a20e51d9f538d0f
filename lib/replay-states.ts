/** A replay job's life: waiting, sending, finished, stopped by an error, or cancelled by an operator. */
export const replayStatuses = ["pending", "running", "done", "failed", "cancelled"] as const;
export type ReplayStatus = (typeof replayStatuses)[number];

/** One dead letter of a replay: not yet sent, sent, failed to send, or left out (already replayed, discarded). */
export const replayItemStatuses = ["pending", "sent", "failed", "skipped"] as const;
export type ReplayItemStatus = (typeof replayItemStatuses)[number];
