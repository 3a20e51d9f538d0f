import { sql } from "drizzle-orm";
import type { SpanRecord } from "../../lib/otlp/spans";
import type { Db } from "../client";
import { spanLinks, spans } from "../schema";
import { bulkInsert } from "./bulk";

/**
 * One export's spans and their links in one transaction, each table in one statement (see bulk.ts); a span sent
 * twice (an exporter's retry) is stored once.
 */
export async function insertSpans(db: Db, records: SpanRecord[]): Promise<void> {
  if (records.length === 0) return;
  const links = records.flatMap((s) => s.links.map((l) => ({ traceId: s.traceId, spanId: s.spanId, linkedTraceId: l.traceId, linkedSpanId: l.spanId, startTime: s.startTime })));
  await db.transaction(async (tx) => {
    await tx.execute(sql`${bulkInsert(spans, records)} on conflict do nothing`);
    if (links.length) await tx.execute(sql`${bulkInsert(spanLinks, links)} on conflict do nothing`);
  });
}
