/** A replay's life: planned and waiting, sending, paused by an operator, finished, cancelled, or stopped by an error. */
export const replayStatuses = ["pending", "running", "paused", "done", "cancelled", "failed"] as const;
export type ReplayStatus = (typeof replayStatuses)[number];

/**
 * One dead letter of a replay: not yet sent; being sent (the state is in Postgres before the send, so a crash leaves
 * it here to be checked); confirmed by the broker (Kafka acks=all, RabbitMQ publisher confirm); processed (the
 * consumer's span under the replay's span succeeded); failed again (that span erred, or it came back dead-lettered
 * with the replay id); skipped by the plan; cancelled before it was sent; uncertain (RabbitMQ: caught in sending by a
 * crash and resent with the same message id, so an idempotent consumer may drop one).
 */
export const replayItemStatuses = ["pending", "sending", "confirmed", "processed", "failed_again", "skipped", "cancelled", "uncertain"] as const;
export type ReplayItemStatus = (typeof replayItemStatuses)[number];

/** The operator's verbs on a replay, and the statuses each may be used from (any other is a 409). */
export const replayTransitions = {
  pause: { from: ["pending", "running"], to: "paused" },
  resume: { from: ["paused"], to: "running" },
  cancel: { from: ["pending", "running", "paused"], to: "cancelled" },
} as const satisfies Record<string, { from: readonly ReplayStatus[]; to: ReplayStatus }>;
export type ReplayVerb = keyof typeof replayTransitions;

/** The status a verb leads to from `status`, or null when the verb is not allowed there. */
export function replayTransition(status: ReplayStatus, verb: ReplayVerb): ReplayStatus | null {
  const t = replayTransitions[verb];
  return (t.from as readonly ReplayStatus[]).includes(status) ? t.to : null;
}
