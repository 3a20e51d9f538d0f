import { createHash } from "node:crypto";
import { kafkaTopicOf } from "./kafka/record-destination";

/**
 * Failure groups: dead letters that failed the same way, whatever the ids and numbers in their error messages.
 * A group is the original destination, the reason, the root exception type and the error message with its
 * variable parts masked, so "order ord-1 is not valid JSON at position 55" and "order ord-2 … position 58" are one.
 */

const uuid = /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi;
const quoted = /'[^'\n]{0,200}'|"[^"\n]{0,200}"|`[^`\n]{0,200}`/g;
/** a run of word characters (with . - _ : / inside) holding a digit: an id, a number, a timestamp, an offset */
const withDigit = /[\p{L}\p{N}_][\p{L}\p{N}_.\-:/]*\d[\p{L}\p{N}_.\-:/]*|\d+/gu;
const hexRun = /\b[0-9a-f]{12,}\b/gi;

/** The error message with what varies between messages masked: `<uuid>`, `<str>`, `<n>` (a number), `<id>`. */
export function normaliseErrorMessage(message: string | null | undefined): string {
  if (!message) return "";
  return message
    .slice(0, 2000)
    .replace(uuid, "<uuid>")
    .replace(quoted, "<str>")
    .replace(hexRun, "<id>")
    .replace(withDigit, (m) => (/^[\d.,]+$/.test(m) ? "<n>" : "<id>"))
    .replace(/\s+/g, " ")
    .trim()
    .slice(0, 500);
}

/** Exception classes that only wrap the real failure (Spring Kafka wraps every listener failure in the first). */
const wrappers = new Set([
  "org.springframework.kafka.listener.ListenerExecutionFailedException",
  "org.springframework.messaging.MessagingException",
  "org.springframework.amqp.rabbit.support.ListenerExecutionFailedException",
  "java.util.concurrent.CompletionException",
  "java.util.concurrent.ExecutionException",
]);

/**
 * The root exception type of a dead letter: the cause Spring Kafka names in `kafka_dlt-exception-cause-fqcn` when the
 * outer type is only a wrapper (or when there is no outer type), else the type captured.
 */
export function rootErrorType(errorType: string | null | undefined, headers: Record<string, unknown> | null | undefined): string | null {
  const cause = headerText(headers?.["kafka_dlt-exception-cause-fqcn"]);
  if (cause && (!errorType || wrappers.has(errorType))) return cause;
  return errorType ?? null;
}

/** A captured header's text: stored as a string, or as `{ base64 }` / `{ text }` for bytes. */
function headerText(v: unknown): string | null {
  if (typeof v === "string") return v.trim() || null;
  if (v && typeof v === "object") {
    const o = v as { text?: unknown; base64?: unknown };
    if (typeof o.text === "string") return o.text.trim() || null;
    if (typeof o.base64 === "string") {
      const s = Buffer.from(o.base64, "base64").toString("utf8").trim();
      return /^[\w.$]+$/.test(s) ? s : null;
    }
  }
  return null;
}

/** The destination a group is about: a Kafka topic without the `[partition]@offset` the capture notes the record by. */
export function destinationOf(d: string | null | undefined): string | null {
  return kafkaTopicOf(d)?.topic ?? null;
}

export interface FailureSignature {
  system: string;
  originalDestination: string | null;
  reason: string | null;
  /** the root exception type */
  errorType: string | null;
  /** normaliseErrorMessage of the message */
  message: string;
}

/** The signature of one dead letter. */
export function failureSignature(d: {
  system: string;
  originalDestination?: string | null;
  source: string;
  reason?: string | null;
  errorType?: string | null;
  errorMessage?: string | null;
  headers?: Record<string, unknown> | null;
}): FailureSignature {
  return {
    system: d.system,
    originalDestination: destinationOf(d.originalDestination),
    reason: d.reason ?? null,
    errorType: rootErrorType(d.errorType, d.headers),
    message: normaliseErrorMessage(d.errorMessage),
  };
}

/** A group's id: stable for the same signature, 16 hex digits, safe in a URL. */
export function failureGroupId(s: FailureSignature): string {
  return createHash("sha256").update(JSON.stringify([s.system, s.originalDestination, s.reason, s.errorType, s.message])).digest("hex").slice(0, 16);
}

/** The trend window the groups' charts cover: 24 hourly buckets ending now. */
export const trendWindow = { buckets: 24, stepMs: 3600_000 } as const;

/** Counts per bucket (`b` the bucket's index from the window's start) → one number per bucket, 0 where none died. */
export function trendOf(rows: readonly { b: number; n: number }[], buckets: number = trendWindow.buckets): number[] {
  const out = new Array<number>(buckets).fill(0);
  for (const { b, n } of rows) if (Number.isInteger(b) && b >= 0 && b < buckets) out[b]! += n;
  return out;
}
