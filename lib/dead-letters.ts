/** The brokers dead letters are captured from. */
export const deadLetterSystems = ["kafka", "rabbitmq"] as const;
export type DeadLetterSystem = (typeof deadLetterSystems)[number];

/** Shapes shared by the dead-letter capture (collectors) and the dead-letters API (dashboard). */
/**
 * new: captured, nobody acted; replaying: in a replay that has not sent it yet; replayed: the broker took it back (a
 * replay confirmed it; processed shows on the replay's item); failed_again: replayed and it failed again (the new
 * dead letter links to the replay); discarded: put aside by an operator, restorable.
 */
export const deadLetterStatuses = ["new", "replaying", "replayed", "failed_again", "discarded"] as const;
export type DeadLetterStatus = (typeof deadLetterStatuses)[number];

/**
 * The reasons a dead letter's death names that Switchyard knows (RabbitMQ's x-death reasons; Kafka's `exception` when
 * the DLT's headers carry one, else `unknown`). A publisher can put any text in `x-first-death-reason`: where a bounded
 * set matters (a metric's labels) anything else counts as `other`.
 */
export const knownDeathReasons = ["rejected", "expired", "maxlen", "delivery_limit", "exception", "unknown"] as const;

/** The statuses a dead letter may be discarded from: not while a replay is sending it, and not twice. */
export const discardableStatuses = ["new", "replayed", "failed_again"] as const satisfies readonly DeadLetterStatus[];

export function discardable(status: string): boolean {
  return (discardableStatuses as readonly string[]).includes(status);
}

/** A discarded dead letter may be restored: it is "new" again, with its reason cleared. */
export function restorable(status: string): boolean {
  return status === "discarded";
}

/** Cuts a payload to the configured maximum, remembering its real size. */
export function capPayload(payload: Buffer, maxBytes: number): { payload: Buffer; size: number; truncated: boolean } {
  return payload.length > maxBytes ? { payload: payload.subarray(0, maxBytes), size: payload.length, truncated: true } : { payload, size: payload.length, truncated: false };
}

/** A payload for display: always base64, plus text when it is valid UTF-8 (rendered as text, never as HTML). */
export function payloadView(payload: Buffer): { base64: string; text: string | null; encoding: "utf8" | "binary" } {
  const s = payload.toString("utf8");
  const isText = Buffer.from(s, "utf8").equals(payload) && !/[\u0000-\u0008\u000e-\u001f]/.test(s);
  return { base64: payload.toString("base64"), text: isText ? s : null, encoding: isText ? "utf8" : "binary" };
}
