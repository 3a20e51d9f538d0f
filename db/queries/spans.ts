import { createHash } from "node:crypto";
import { pipeline } from "node:stream/promises";
import { Readable } from "node:stream";
import { sql } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import { from as copyFrom } from "pg-copy-streams";
import type { Pool, PoolClient } from "pg";
import type { SpanRecord } from "../../lib/otlp/spans";
import type { Db, DbHandle } from "../client";
import { spanLinks, spans } from "../schema";
import { bulkInsert } from "./bulk";

const linksOf = (records: SpanRecord[]) =>
  records.flatMap((s) => s.links.map((l) => ({ traceId: s.traceId, spanId: s.spanId, linkedTraceId: l.traceId, linkedSpanId: l.spanId, startTime: s.startTime })));

/** A resource to store once: its id (a hash of its attributes as JSON) and that JSON. */
export interface ResourceRow {
  id: string;
  attributes: string;
}

/**
 * The resources of these records, each once, and each record's resource id. Spans flattened from one OTLP resource
 * share its attributes object, so each is stringified and hashed once, not per span.
 */
function resourcesOf(records: SpanRecord[]): { resources: ResourceRow[]; idOf: (s: SpanRecord) => string } {
  const ids = new Map<object, string>();
  const resources = new Map<string, ResourceRow>();
  for (const s of records) {
    if (ids.has(s.resourceAttributes)) continue;
    const attributes = JSON.stringify(s.resourceAttributes);
    const id = createHash("md5").update(attributes).digest("hex");
    ids.set(s.resourceAttributes, id);
    resources.set(id, { id, attributes });
  }
  return { resources: [...resources.values()], idOf: (s) => ids.get(s.resourceAttributes)! };
}

export const insertResources = (rows: ResourceRow[]) => sql`
  insert into span_resources (id, attributes)
  select r.id, r.attributes::jsonb from unnest(${sql.param(rows.map((r) => r.id))}::text[], ${sql.param(rows.map((r) => r.attributes))}::text[]) as r(id, attributes)
  on conflict do nothing`;

/**
 * One export's spans, their resources and links in one transaction, each table in one statement (see bulk.ts); a span
 * sent twice (an exporter's retry) is stored once. What tests and the write benchmark compare `storeSpans` with.
 */
export async function insertSpans(db: Db, records: SpanRecord[]): Promise<void> {
  if (records.length === 0) return;
  const { rows, resources } = spanRows(records);
  const links = linksOf(records);
  await db.transaction(async (tx) => {
    await tx.execute(insertResources(resources));
    await tx.execute(sql`${bulkInsert(spans, rows)} on conflict do nothing`);
    if (links.length) await tx.execute(sql`${bulkInsert(spanLinks, links)} on conflict do nothing`);
  });
}

/** A value in COPY's text format: backslash, newline, carriage return and tab escaped; null is \N. */
function text(v: string | null): string {
  if (v === null) return "\\N";
  return /[\\\n\r\t]/.test(v) ? v.replace(/[\\\n\r\t]/g, (c) => (c === "\\" ? "\\\\" : c === "\n" ? "\\n" : c === "\r" ? "\\r" : "\\t")) : v;
}
const num = (v: number | bigint | null) => (v === null ? "\\N" : String(v));

export const spanColumns = [
  "trace_id", "span_id", "parent_span_id", "service", "name", "kind", "start_time", "start_unix_nano", "duration_ms",
  "status_code", "status_message", "attributes", "resource_id", "events", "links", "messaging_system",
  "messaging_destination", "messaging_operation", "messaging_consumer_group", "messaging_message_id", "kafka_partition",
  "kafka_offset", "rabbitmq_routing_key",
] as const;
export const linkColumns = ["trace_id", "span_id", "linked_trace_id", "linked_span_id", "start_time"] as const;

/** The spans as COPY text rows, in `spanColumns` order. */
/**
 * JSON as a COPY text value: JSON.stringify escapes every control character, so of COPY's specials only the
 * backslash (from JSON's own escapes) can occur, and only it needs doubling.
 */
const json = (v: string) => (v.includes("\\") ? v.replaceAll("\\", "\\\\") : v);

function spansCopyText(records: SpanRecord[], idOf: (s: SpanRecord) => string): string {
  let out = "";
  for (const s of records) {
    out +=
      `${s.traceId}\t${s.spanId}\t${s.parentSpanId ?? "\\N"}\t${text(s.service)}\t${text(s.name)}\t${s.kind}\t${s.startTime.toISOString()}\t` +
      `${s.startUnixNano}\t${s.durationMs}\t${s.statusCode}\t${text(s.statusMessage)}\t${json(JSON.stringify(s.attributes))}\t${idOf(s)}\t` +
      `${s.events.length ? json(JSON.stringify(s.events)) : "[]"}\t${s.links.length ? json(JSON.stringify(s.links)) : "[]"}\t` +
      `${text(s.messagingSystem)}\t${text(s.messagingDestination)}\t${text(s.messagingOperation)}\t${text(s.messagingConsumerGroup)}\t` +
      `${text(s.messagingMessageId)}\t${num(s.kafkaPartition)}\t${num(s.kafkaOffset)}\t${text(s.rabbitmqRoutingKey)}\n`;
  }
  return out;
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
  resources: ResourceRow[];
  count: number;
}

export function spanCopy(records: SpanRecord[]): SpanCopy {
  const { resources, idOf } = resourcesOf(records);
  return { spans: spansCopyText(records, idOf), links: linksCopyText(records), resources, count: records.length };
}

const pgCode = (e: unknown) => (e as { code?: string } | null)?.code;
const copy = (client: PoolClient, into: string, columns: readonly string[], body: string) =>
  pipeline(Readable.from([body]), client.query(copyFrom(`copy ${into} (${columns.join(", ")}) from stdin`)));

/** Renders drizzle SQL for a pg client of our own (storeSpanCopy runs its transaction on one). */
const dialect = new PgDialect();

/** Resource ids known to be stored, per database pool: an export of known resources skips their insert. */
const storedResources = new WeakMap<Pool, Set<string>>();

/**
 * How the receiver stores an export: its resources (only those not stored before), then COPY of the spans and their
 * links, in one transaction; COPY is several times cheaper for Postgres than an insert … on conflict (see
 * docs/benchmarks.md). COPY cannot skip rows that are already there, so when an exporter resends spans that were
 * stored (a retry after a timeout) the COPY fails on the key, and the same text goes through a temporary table and
 * `insert … on conflict do nothing`, which stores each span once. A row routed to the default partition while
 * partition maintenance attaches that day's partition fails its partition check; the export is tried again.
 */
export async function storeSpanCopy(h: DbHandle, batch: SpanCopy): Promise<"copied" | "merged"> {
  if (batch.count === 0) return "copied";
  let known = storedResources.get(h.pool);
  if (!known) storedResources.set(h.pool, (known = new Set()));
  const newResources = batch.resources.filter((r) => !known.has(r.id));
  let merge = false;
  for (let attempt = 1; ; attempt++) {
    const client = await h.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query("begin");
      if (newResources.length) {
        const q = dialect.sqlToQuery(insertResources(newResources));
        await client.query(q.sql, q.params);
      }
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
      if (known.size > 10_000) known.clear();
      for (const r of newResources) known.add(r.id);
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

/** Spans as rows of the spans table (with their resource ids) and their resources: for writers other than the receiver. */
export function spanRows(records: SpanRecord[]): { rows: (SpanRecord & { resourceId: string })[]; resources: ResourceRow[] } {
  const { resources, idOf } = resourcesOf(records);
  return { rows: records.map((s) => ({ ...s, resourceId: idOf(s) })), resources };
}
