import type { DeadLetterStatus } from "../dead-letters";

/** Why the plan leaves a dead letter out of a replay. */
export const skipReasons = ["discarded", "already_replayed", "in_another_replay", "over_loop_limit", "payload_truncated", "no_destination", "came_back"] as const;
export type SkipReason = (typeof skipReasons)[number];

export const skipReasonText: Record<SkipReason, string> = {
  discarded: "discarded",
  already_replayed: "already replayed (force to send again)",
  in_another_replay: "being sent by another replay",
  over_loop_limit: "replayed REPLAY_MAX_ATTEMPTS times already (force to send again)",
  payload_truncated: "only the start of its payload was stored at capture",
  no_destination: "its original destination is not known; give one",
  came_back: "failed again and came back as a new dead letter: that one is replayed instead",
};

export interface PlanCandidate {
  status: DeadLetterStatus;
  payloadTruncated: boolean;
  /** times it was replayed already (x-switchyard-replay-count) */
  replayCount: number;
  /** where it would go: null when neither the dead letter nor the request names one */
  destination: string | null;
  /** a replay sent it and it came back dead-lettered as another dead letter */
  returned: boolean;
}

/** The one rule the plan applies to each dead letter, in Postgres for large plans (db) and here for the tests. */
export function skipReasonOf(c: PlanCandidate, opts: { force: boolean; maxAttempts: number }): SkipReason | null {
  if (c.status === "discarded") return "discarded";
  if (c.status === "replaying") return "in_another_replay";
  if (c.returned) return "came_back";
  if (c.payloadTruncated) return "payload_truncated";
  if (c.destination === null) return "no_destination";
  if (!opts.force && c.status === "replayed") return "already_replayed";
  if (!opts.force && c.replayCount >= opts.maxAttempts) return "over_loop_limit";
  return null;
}

export { kafkaTopicOf } from "../kafka/record-destination";
