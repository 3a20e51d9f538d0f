import type { SpanRecord } from "../../lib/otlp/spans";
import type { Db } from "../client";
import { spanLinks, spans } from "../schema";

/** Multi-row insert in chunks; a span sent twice (exporter retry) is stored once. */
export async function insertSpans(db: Db, records: SpanRecord[], chunk = 500): Promise<void> {
  await db.transaction(async (tx) => {
    for (let i = 0; i < records.length; i += chunk) {
      const part = records.slice(i, i + chunk);
      await tx.insert(spans).values(part).onConflictDoNothing();
      const links = part.flatMap((s) =>
        s.links.map((l) => ({ traceId: s.traceId, spanId: s.spanId, linkedTraceId: l.traceId, linkedSpanId: l.spanId, startTime: s.startTime })),
      );
      if (links.length) await tx.insert(spanLinks).values(links).onConflictDoNothing();
    }
  });
}
