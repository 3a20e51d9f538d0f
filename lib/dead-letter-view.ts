import { parse as losslessParse, stringify as losslessStringify } from "lossless-json";
import { numberHeader } from "./kafka/dlt-headers";
import { parseDeath } from "./rabbitmq/x-death";

/**
 * How the dead-letter page shows one message, prepared here (pure, server side) and only drawn by the page, always
 * as text: the payload pretty-printed when it is JSON (numbers kept exactly, however large), as text when it is text,
 * as a hex dump otherwise; the headers as rows with Spring's binary numbers decoded; the parsed death history.
 */

export type PayloadPresentation = { kind: "json" | "text" | "hex"; text: string; cut: boolean };

/** Payloads larger than this are shown as they are, not parsed (a page of megabytes of JSON stalls the browser). */
const maxPrettyChars = 512 * 1024;

export function presentPayload(p: { text: string | null; base64: string }, maxChars: number): PayloadPresentation {
  if (p.text !== null) {
    if (p.text.length <= maxPrettyChars && /^\s*[[{"]/.test(p.text)) {
      try {
        const pretty = losslessStringify(losslessParse(p.text), null, 2) ?? p.text;
        return { kind: "json", text: pretty.slice(0, maxChars), cut: pretty.length > maxChars };
      } catch {
        /* not JSON after all: shown as text */
      }
    }
    return { kind: "text", text: p.text.slice(0, maxChars), cut: p.text.length > maxChars };
  }
  const bytes = Buffer.from(p.base64, "base64");
  const maxBytes = Math.floor(maxChars / 80) * 16;
  return { kind: "hex", text: hexDump(bytes.subarray(0, maxBytes)), cut: bytes.length > maxBytes };
}

/** `00000000  7b 22 61 22 3a 31 7d 00 …  |{"a":1}.|`, 16 bytes a line. */
export function hexDump(b: Buffer): string {
  const lines: string[] = [];
  for (let off = 0; off < b.length; off += 16) {
    const row = b.subarray(off, off + 16);
    const hex = [...row].map((x) => x.toString(16).padStart(2, "0")).join(" ").padEnd(47, " ");
    const ascii = [...row].map((x) => (x >= 0x20 && x < 0x7f ? String.fromCharCode(x) : ".")).join("");
    lines.push(`${off.toString(16).padStart(8, "0")}  ${hex}  |${ascii}|`);
  }
  return lines.join("\n");
}

export interface HeaderRow {
  name: string;
  /** the value as text (JSON for structured values), or base64 for bytes */
  value: string;
  encoding: "text" | "base64" | "json";
  /** what the value means when it is one of Spring's binary numbers (partition, offset, timestamp) */
  decoded: string | null;
}

/** Spring Kafka's headers that hold big-endian binary numbers, with their width and meaning. */
const springNumbers: Record<string, { width: 4 | 8; time?: boolean }> = {
  "kafka_dlt-original-partition": { width: 4 },
  "kafka_dlt-original-offset": { width: 8 },
  "kafka_dlt-original-timestamp": { width: 8, time: true },
  kafka_original_partition: { width: 4 },
  kafka_original_offset: { width: 8 },
  kafka_original_timestamp: { width: 8, time: true },
};

function one(name: string, v: unknown): HeaderRow {
  if (typeof v === "string") return { name, value: v, encoding: "text", decoded: decodedNumber(name, Buffer.from(v, "utf8")) };
  if (v && typeof v === "object" && !Array.isArray(v) && typeof (v as { base64?: unknown }).base64 === "string" && Object.keys(v).length === 1) {
    const b64 = (v as { base64: string }).base64;
    return { name, value: b64, encoding: "base64", decoded: decodedNumber(name, Buffer.from(b64, "base64")) };
  }
  return { name, value: JSON.stringify(v) ?? String(v), encoding: "json", decoded: null };
}

function decodedNumber(name: string, b: Buffer): string | null {
  const spec = springNumbers[name.toLowerCase()];
  if (!spec) return null;
  const n = numberHeader(b, spec.width);
  if (n === null) return null;
  if (spec.time) {
    const d = new Date(n);
    return Number.isFinite(d.getTime()) ? `${n} (${d.toISOString()})` : String(n);
  }
  return String(n);
}

/** The headers as rows, names sorted; a header given several times is one row per value. */
export function headerRows(headers: Record<string, unknown>): HeaderRow[] {
  const rows: HeaderRow[] = [];
  for (const name of Object.keys(headers).sort()) {
    const v = headers[name];
    if (Array.isArray(v) && name !== "x-death" && v.every((x) => x === null || typeof x === "string" || (x && typeof x === "object" && "base64" in x))) for (const x of v) rows.push(one(name, x));
    else rows.push(one(name, v));
  }
  return rows;
}

export interface DeathRow {
  queue: string;
  reason: string;
  count: number;
  exchange: string | null;
  routingKeys: string;
  time: string | null;
}

/** A RabbitMQ dead letter's x-death, most recent first, as rows; empty for Kafka or malformed headers. */
export function deathHistory(headers: Record<string, unknown>): DeathRow[] {
  return parseDeath(headers).deaths.map((d) => ({
    queue: d.queue,
    reason: d.reason,
    count: d.count,
    exchange: d.exchange ?? null,
    routingKeys: (d["routing-keys"] ?? []).join(", "),
    time: d.time ? d.time.toISOString() : null,
  }));
}
