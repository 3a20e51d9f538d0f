import { createHash } from "node:crypto";
import { pipeline } from "node:stream/promises";
import { Readable } from "node:stream";
import { sql } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import { from as copyFrom } from "pg-copy-streams";
import type { Pool, PoolClient } from "pg";
import type { SpanRecord } from "../../lib/otlp/spans";
import { sanitizeRecords } from "../../lib/otlp/sanitize";
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

/**
 * The span_links rows: links to a well-formed span context only (16-byte trace id, 8-byte span id). A link to anything
 * else stays in its span's `links` but is not indexed: its ids are whatever the exporter sent, and ids of some KiB
 * would be refused by the index on them.
 */
function linksCopyText(records: SpanRecord[]): string | null {
  const lines: string[] = [];
  for (const s of records) {
    if (s.links.length === 0) continue;
    const at = s.startTime.toISOString();
    for (const l of s.links) if (l.traceId.length === 32 && l.spanId.length === 16) lines.push(`${s.traceId}\t${s.spanId}\t${l.traceId}\t${l.spanId}\t${at}`);
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

/**
 * Whether a COPY text holds what Postgres refuses: a NUL or a lone surrogate as such (text columns; String's native
 * well-formedness check), or JSON.stringify's escapes of them (`\u0000`, `\ud800`…`\udfff`, their backslash doubled
 * by `json`), looked for only when some JSON escape is there at all. A match may be a false alarm (a literal
 * backslash-u in some string): then sanitising finds nothing and the text stays the same. About 0.1 µs per span of SDK
 * exports, against 0.35 for one regular expression doing all of it.
 */
const isWellFormed = (s: string) => (s as unknown as { isWellFormed(): boolean }).isWellFormed(); // ES2024, Node 20
const copyEscapes = /\\\\u(?:0000|d[89a-f])/;
const jsonEscapes = /\\u(?:0000|d[89a-f])/;
const suspectCopy = (t: string) => t.includes("\u0000") || !isWellFormed(t) || (t.includes("\\\\u") && copyEscapes.test(t));
/** The same in a resource's attributes: JSON, whose backslashes are not doubled and which escapes NUL itself. */
const suspectJson = (t: string) => t.includes("\\u") && jsonEscapes.test(t);

/**
 * Spans as COPY text. Text Postgres cannot store (see lib/otlp/sanitize.ts) is looked for once in the whole text, so
 * exports without any pay one scan of it; when there is some, the records are sanitised (NUL and lone
 * surrogates become U+FFFD, the spans are marked `switchyard.sanitized`) and the text built again.
 */
export function spanCopy(records: SpanRecord[]): SpanCopy {
  let { resources, idOf } = resourcesOf(records);
  let spansText = spansCopyText(records, idOf);
  if (suspectCopy(spansText) || resources.some((r) => suspectJson(r.attributes))) {
    if (sanitizeRecords(records)) {
      ({ resources, idOf } = resourcesOf(records));
      spansText = spansCopyText(records, idOf);
    }
  }
  return { spans: spansText, links: linksCopyText(records), resources, count: records.length };
}

const pgCode = (e: unknown) => (e as { code?: string } | null)?.code;
const copy = (client: PoolClient, into: string, columns: readonly string[], body: string) =>
  pipeline(Readable.from([body]), client.query(copyFrom(`copy ${into} (${columns.join(", ")}) from stdin`)));

/** Renders drizzle SQL for a pg client of our own (storeSpanCopy runs its transaction on one). */
const dialect = new PgDialect();

/** Resource ids known to be stored, per database pool: an export of known resources skips their insert. */
const storedResources = new WeakMap<Pool, Set<string>>();

/** What storing an export did: COPY straight in, merged past spans stored before, or row by row past refused ones. */
export interface StoreResult {
  mode: "copied" | "merged" | "isolated";
  /** spans Postgres refused (they can never be stored; an exporter must not retry them), and why (at most 5) */
  rejected: number;
  errors: string[];
}

/**
 * An error about the data, not about Postgres: it fails the same way every time the same rows are sent. SQLSTATE
 * classes 22 (data exception: an invalid byte, a value out of range, bad JSON), 23 (integrity) and 54 (program limit:
 * an index entry or a JSON value too large, nesting too deep). 23514 is not one: it is the partition check failing
 * while partition maintenance attaches a day's partition, which passes. Anything else (no connection, shutting down,
 * out of resources) is Postgres being unavailable.
 */
export function isDataError(e: unknown): boolean {
  const code = pgCode(e);
  return typeof code === "string" && code !== "23514" && /^(22|23|54)/.test(code);
}

/**
 * How the receiver stores an export: its resources (only those not stored before), then COPY of the spans and their
 * links, in one transaction; COPY is several times cheaper for Postgres than an insert … on conflict (see
 * docs/benchmarks.md). COPY cannot skip rows that are already there, so when an exporter resends spans that were
 * stored (a retry after a timeout) the COPY fails on the key, and the same text goes through a temporary table and
 * `insert … on conflict do nothing`, which stores each span once. A row routed to the default partition while
 * partition maintenance attaches that day's partition fails its partition check; the export is tried again.
 * When Postgres refuses the data itself (isDataError), the export is stored again in isolation (see `storeIsolated`):
 * every span it can take is stored, and the others are returned as rejected, so that one bad span never fails an
 * export for ever. Throws only when Postgres is unavailable.
 */
export async function storeSpanCopy(h: DbHandle, batch: SpanCopy, opts: StoreOptions = {}): Promise<StoreResult> {
  if (batch.count === 0) return { mode: "copied", rejected: 0, errors: [] };
  let known = storedResources.get(h.pool);
  if (!known) storedResources.set(h.pool, (known = new Set()));
  const newResources = batch.resources.filter((r) => !known.has(r.id));
  let mode: StoreResult["mode"] = "copied";
  for (let attempt = 1; ; attempt++) {
    const client = await h.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query("begin");
      if (opts.asyncCommit) await client.query("set local synchronous_commit = off");
      let result: StoreResult = { mode, rejected: 0, errors: [] };
      let stored = newResources;
      if (mode === "isolated") {
        ({ result, stored } = await storeIsolated(client, batch, newResources));
      } else {
        if (newResources.length) {
          const q = dialect.sqlToQuery(insertResources(newResources));
          await client.query(q.sql, q.params);
        }
        if (mode === "copied") {
          await copy(client, "spans", spanColumns, batch.spans);
          if (batch.links) await copy(client, "span_links", linkColumns, batch.links);
        } else {
          await createStages(client);
          await copy(client, "span_stage", spanColumns, batch.spans);
          await client.query("insert into spans select * from span_stage on conflict do nothing");
          if (batch.links) {
            await copy(client, "span_link_stage", linkColumns, batch.links);
            await client.query("insert into span_links select * from span_link_stage on conflict do nothing");
          }
        }
      }
      await client.query("commit");
      if (known.size > 10_000) known.clear();
      for (const r of stored) known.add(r.id);
      return result;
    } catch (e) {
      await client.query("rollback").catch((r: Error) => (broken = r));
      if (pgCode(e) === "23505" && mode === "copied") mode = "merged"; // some spans are stored already
      else if (isDataError(e) && mode !== "isolated") mode = "isolated"; // some span Postgres cannot take
      else if (!(pgCode(e) === "23514" && attempt < 3)) throw e; // the partition check during an attach: again
    } finally {
      client.release(broken);
    }
  }
}

const createStages = async (client: PoolClient) => {
  await client.query("create temp table if not exists span_stage (like spans including defaults) on commit delete rows");
  await client.query("create temp table if not exists span_link_stage (like span_links) on commit delete rows");
};

/**
 * Statements an isolated store may spend finding the refused rows, resources and spans each; past it, what still fails
 * is rejected whole.
 */
const ISOLATION_BUDGET = 2_000;

/**
 * Stores what Postgres takes of an export it refused, inside the caller's transaction: the new resources, then the
 * spans, each by bisection under savepoints (the spans through the staging table, so spans stored before are skipped),
 * halving a part that fails on its data until the refused rows are found alone; a span whose resource is refused is
 * rejected; then the links of the stored spans. Resources and spans each have their own ISOLATION_BUDGET, so an
 * export of thousands of resources still finds its one refused span. Cost: about 2·log2(n) statements per refused row.
 */
async function storeIsolated(client: PoolClient, batch: SpanCopy, resources: ResourceRow[]): Promise<{ result: StoreResult; stored: ResourceRow[] }> {
  await createStages(client);
  const errors: string[] = [];
  let rejected = 0;
  const why = (e: unknown) => `${pgCode(e)}: ${(e as Error).message.slice(0, 160)}`;
  const attempt = async (statements: () => Promise<unknown>): Promise<unknown> => {
    await client.query("savepoint isolate");
    try {
      await statements();
      await client.query("release savepoint isolate");
      return null;
    } catch (e) {
      await client.query("rollback to savepoint isolate");
      await client.query("release savepoint isolate");
      if (!isDataError(e)) throw e;
      return e;
    }
  };
  /**
   * Stores `rows` with `store` under savepoints, halving a part Postgres refuses; `refuse` gets the rows found refused
   * (alone, or a whole part once `budget` statements are spent).
   */
  const bisect = async <T>(rows: T[], store: (part: T[]) => Promise<unknown>, refuse: (part: T[], e: unknown) => void): Promise<void> => {
    let budget = ISOLATION_BUDGET;
    const put = async (part: T[]): Promise<void> => {
      if (!part.length) return;
      budget--;
      const e = await attempt(() => store(part));
      if (!e) return;
      if (part.length === 1 || budget <= 0) return refuse(part, e);
      const mid = part.length >> 1;
      await put(part.slice(0, mid));
      await put(part.slice(mid));
    };
    await put(rows);
  };

  const refusedResources = new Map<string, string>();
  await bisect(
    resources,
    (part) => {
      const q = dialect.sqlToQuery(insertResources(part));
      return client.query(q.sql, q.params);
    },
    (part, e) => {
      for (const r of part) refusedResources.set(r.id, why(e));
    },
  );
  const stored = resources.filter((r) => !refusedResources.has(r.id));

  const lines = batch.spans.split("\n");
  lines.pop(); // the text ends with a newline
  const rejectedKeys = new Set<string>();
  const rejectLine = (line: string, reason: string) => {
    const [traceId, spanId] = line.split("\t", 2);
    rejectedKeys.add(`${traceId}\t${spanId}`);
    rejected++;
    if (errors.length < 5) errors.push(`span ${spanId} of trace ${traceId}: Postgres cannot store it (${reason})`);
  };
  const candidates: string[] = [];
  for (const line of lines) {
    const resourceId = line.split("\t", 13)[12]!;
    const refused = refusedResources.get(resourceId);
    if (refused) rejectLine(line, `its resource: ${refused}`);
    else candidates.push(line);
  }
  await bisect(
    candidates,
    async (part) => {
      await copy(client, "span_stage", spanColumns, part.join("\n") + "\n");
      await client.query("insert into spans select * from span_stage on conflict do nothing");
      await client.query("delete from span_stage");
    },
    (part, e) => {
      for (const line of part) rejectLine(line, why(e));
    },
  );

  if (batch.links) {
    const links = batch.links.split("\n").filter((l) => l && !rejectedKeys.has(l.split("\t", 2).join("\t")));
    if (links.length) {
      const e = await attempt(async () => {
        await copy(client, "span_link_stage", linkColumns, links.join("\n") + "\n");
        await client.query("insert into span_links select * from span_link_stage on conflict do nothing");
        await client.query("delete from span_link_stage");
      });
      // a link row is hex ids and a time: should one ever be refused, the span keeps its links in its own row
      if (e) errors.length < 5 && errors.push(`links not indexed (${why(e)})`);
    }
  }
  return { result: { mode: "isolated", rejected, errors }, stored };
}

/** `storeSpanCopy` of these records. */
export const storeSpans = (h: DbHandle, records: SpanRecord[], opts: StoreOptions = {}) => storeSpanCopy(h, spanCopy(records), opts);

/**
 * `asyncCommit`: commit without waiting for the WAL flush, for spans that may be lost in a Postgres crash (the
 * replay's own spans, written after the send; a lost one leaves a gap in the waterfall, never a wrong count).
 */
export interface StoreOptions {
  asyncCommit?: boolean;
}

/** Spans as rows of the spans table (with their resource ids) and their resources: for writers other than the receiver. */
export function spanRows(records: SpanRecord[]): { rows: (SpanRecord & { resourceId: string })[]; resources: ResourceRow[] } {
  const { resources, idOf } = resourcesOf(records);
  return { rows: records.map((s) => ({ ...s, resourceId: idOf(s) })), resources };
}
