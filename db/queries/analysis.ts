import { sql } from "drizzle-orm";
import type { Db } from "../client";
import type { CallSpan } from "../../lib/flows/analysis";

/** The spans the synchronous-chain analysis reads (server, client and internal) of a range, at most `limit`, newest first. */
export async function callSpans(db: Db, from: Date, to: Date, limit: number): Promise<{ spans: CallSpan[]; partial: boolean }> {
  const r = await db.execute<{ trace_id: string; span_id: string; parent_span_id: string | null; service: string; name: string; kind: number; duration_ms: number; status_code: number; m: string | null; om: string | null; rpc: string | null }>(sql`
    select trace_id, span_id, parent_span_id, service, name, kind, duration_ms, status_code,
      attributes->>'http.request.method' as m, attributes->>'http.method' as om, attributes->>'rpc.system' as rpc
    from spans where start_time >= ${from.toISOString()}::timestamptz and start_time <= ${to.toISOString()}::timestamptz and kind in (1, 2, 3)
    order by start_time desc limit ${limit + 1}`);
  const rows = r.rows.slice(0, limit);
  return {
    partial: r.rows.length > limit,
    spans: rows.map((x) => ({
      traceId: x.trace_id,
      spanId: x.span_id,
      parentSpanId: x.parent_span_id,
      service: x.service,
      name: x.name,
      kind: Number(x.kind),
      durationMs: Number(x.duration_ms),
      statusCode: Number(x.status_code),
      attributes: { ...(x.m ? { "http.request.method": x.m } : {}), ...(x.om ? { "http.method": x.om } : {}), ...(x.rpc ? { "rpc.system": x.rpc } : {}) },
    })),
  };
}

export interface DuplicateRow {
  consumerGroup: string;
  byService: boolean;
  destination: string | null;
  messageId: string | null;
  partition: number | null;
  offset: number | null;
  count: number;
  traceIds: string[];
}

/**
 * Messages processed successfully more than once by the same consumer in the range: the same message id, or for a
 * span with none the same topic, partition and offset; the consumer is the span's group, or its service when the
 * span names none (kafkajs, amqplib). One span per processing: a batch's `receive` and an ack's `settle` are not
 * processings. Most often first, at most `limit`.
 */
export async function duplicateProcessing(db: Db, from: Date, to: Date, limit: number): Promise<DuplicateRow[]> {
  const r = await db.execute<{ consumer: string; by_service: boolean; destination: string | null; message_id: string | null; p: number | null; o: string | null; n: string; traces: string[] }>(sql`
    select coalesce(messaging_consumer_group, service) as consumer, messaging_consumer_group is null as by_service, messaging_destination as destination,
      messaging_message_id as message_id,
      case when messaging_message_id is null then kafka_partition end as p, case when messaging_message_id is null then kafka_offset end::text as o,
      count(*)::text as n, (array_agg(distinct trace_id))[1:20] as traces
    from spans
    where start_time >= ${from.toISOString()}::timestamptz and start_time <= ${to.toISOString()}::timestamptz
      and (kind = 5 or messaging_operation in ('process', 'deliver')) and coalesce(messaging_operation, '') not in ('receive', 'settle', 'create')
      and status_code <> 2
      and (messaging_message_id is not null or (kafka_offset is not null and messaging_destination is not null))
    group by 1, 2, 3, 4, 5, 6
    having count(*) > 1
    order by count(*) desc, 1 limit ${limit}`);
  return r.rows.map((x) => ({ consumerGroup: x.consumer, byService: x.by_service, destination: x.destination, messageId: x.message_id, partition: x.p === null ? null : Number(x.p), offset: x.o === null ? null : Number(x.o), count: Number(x.n), traceIds: x.traces }));
}
