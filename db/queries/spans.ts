import { pipeline } from "node:stream/promises";
import { Readable } from "node:stream";
import { sql } from "drizzle-orm";
import { from as copyFrom } from "pg-copy-streams";
import type { SpanRecord } from "../../lib/otlp/spans";
import type { PoolClient } from "pg";
import type { Db, DbHandle } from "../client";
import { spanLinks, spans } from "../schema";
import { bulkInsert } from "./bulk";

const linksOf = (records: SpanRecord[]) =>
  records.flatMap((s) => s.links.map((l) => ({ traceId: s.traceId, spanId: s.spanId, linkedTraceId: l.traceId, linkedSpanId: l.spanId, startTime: s.startTime })));

/**
 * One export's spans and their links in one transaction, each table in one statement (see bulk.ts); a span sent
 * twice (an exporter's retry) is stored once. The slow path of `storeSpans`, and what tests compare it with.
 */
export async function insertSpans(db: Db, records: SpanRecord[]): Promise<void> {
  if (records.length === 0) return;
  const links = linksOf(records);
  await db.transaction(async (tx) => {
    await tx.execute(sql`${bulkInsert(spans, records)} on conflict do nothing`);
    if (links.length) await tx.execute(sql`${bulkInsert(spanLinks, links)} on conflict do nothing`);
  });
}

/** A value in COPY's text format: backslash, newline, carriage return and tab escaped; null is \N. */
function text(v: string | null): string {
  if (v === null) return "\\N";
  return /[\\\n\r\t]/.test(v) ? v.replace(/[\\\n\r\t]/g, (c) => (c === "\\" ? "\\\\" : c === "\n" ? "\\n" : c === "\r" ? "\\r" : "\\t")) : v;
}
const num = (v: number | bigint | null) => (v === null ? "\\N" : String(v));

const spanColumns = [
  "trace_id", "span_id", "parent_span_id", "service", "name", "kind", "start_time", "start_unix_nano", "duration_ms",
  "status_code", "status_message", "attributes", "resource_attributes", "events", "links", "messaging_system",
  "messaging_destination", "messaging_operation", "messaging_consumer_group", "messaging_message_id", "kafka_partition",
  "kafka_offset", "rabbitmq_routing_key",
] as const;
const linkColumns = ["trace_id", "span_id", "linked_trace_id", "linked_span_id", "start_time"] as const;

/** The spans as COPY text rows, in `spanColumns` order. Spans of one resource share its attributes: stringified once. */
export function spansCopyText(records: SpanRecord[]): string {
  let lastResource: object | null = null;
  let resourceJson = "";
  const lines: string[] = [];
  for (const s of records) {
    if (s.resourceAttributes !== lastResource) {
      lastResource = s.resourceAttributes;
      resourceJson = text(JSON.stringify(s.resourceAttributes));
    }
    lines.push(
      [
        s.traceId, s.spanId, s.parentSpanId ?? "\\N", text(s.service), text(s.name), num(s.kind), s.startTime.toISOString(),
        num(s.startUnixNano), num(s.durationMs), num(s.statusCode), text(s.statusMessage), text(JSON.stringify(s.attributes)),
        resourceJson, text(JSON.stringify(s.events)), text(JSON.stringify(s.links)), text(s.messagingSystem),
        text(s.messagingDestination), text(s.messagingOperation), text(s.messagingConsumerGroup), text(s.messagingMessageId),
        num(s.kafkaPartition), num(s.kafkaOffset), text(s.rabbitmqRoutingKey),
      ].join("\t"),
    );
  }
  return lines.join("\n") + "\n";
}

function linksCopyText(records: SpanRecord[]): string | null {
  const lines: string[] = [];
  for (const s of records) {
    if (s.links.length === 0) continue;
    const at = s.startTime.toISOString();
    for (const l of s.links) lines.push(`${s.traceId}\t${s.spanId}\t${l.traceId}\t${l.spanId}\t${at}`);
  }
  return lines.length ? lines.join("\n") + "\n" : null;
}

/** An export's spans and links as COPY text: built as soon as the export is decoded, so the decoded objects die young. */
export interface SpanCopy {
  spans: string;
  links: string | null;
  count: number;
}

export function spanCopy(records: SpanRecord[]): SpanCopy {
  return { spans: spansCopyText(records), links: linksCopyText(records), count: records.length };
}

const pgCode = (e: unknown) => (e as { code?: string } | null)?.code;
const copy = (client: PoolClient, into: string, columns: readonly string[], text: string) =>
  pipeline(Readable.from([text]), client.query(copyFrom(`copy ${into} (${columns.join(", ")}) from stdin`)));

/**
 * How the receiver stores an export: COPY of the spans and their links in one transaction, several times cheaper for
 * Postgres than an insert … on conflict (see docs/benchmarks.md). COPY cannot skip rows that are already there, so
 * when an exporter resends spans that were stored (a retry after a timeout) the COPY fails on the key, and the same
 * text goes through a temporary table and `insert … on conflict do nothing`, which stores each span once. A row
 * routed to the default partition while partition maintenance attaches that day's partition fails its partition
 * check; the export is tried again.
 */
export async function storeSpanCopy(h: DbHandle, batch: SpanCopy): Promise<"copied" | "merged"> {
  if (batch.count === 0) return "copied";
  let merge = false;
  for (let attempt = 1; ; attempt++) {
    const client = await h.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query("begin");
      if (!merge) {
        await copy(client, "spans", spanColumns, batch.spans);
        if (batch.links) await copy(client, "span_links", linkColumns, batch.links);
      } else {
        await client.query("create temp table if not exists span_stage (like spans including defaults) on commit delete rows");
        await client.query("create temp table if not exists span_link_stage (like span_links) on commit delete rows");
        await copy(client, "span_stage", spanColumns, batch.spans);
        await client.query("insert into spans select * from span_stage on conflict do nothing");
        if (batch.links) {
          await copy(client, "span_link_stage", linkColumns, batch.links);
          await client.query("insert into span_links select * from span_link_stage on conflict do nothing");
        }
      }
      await client.query("commit");
      return merge ? "merged" : "copied";
    } catch (e) {
      await client.query("rollback").catch((r: Error) => (broken = r));
      if (pgCode(e) === "23505" && !merge) merge = true; // some spans are stored already
      else if (!(pgCode(e) === "23514" && attempt < 3)) throw e; // the partition check during an attach: again
    } finally {
      client.release(broken);
    }
  }
}

/** `storeSpanCopy` of these records. */
export const storeSpans = (h: DbHandle, records: SpanRecord[]) => storeSpanCopy(h, spanCopy(records));
