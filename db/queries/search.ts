import { sql } from "drizzle-orm";
import type { Db } from "../client";
import { nameMatch, searchUrls, type SearchResult, type SearchTerms } from "../../lib/search";

/**
 * The search box's lookups, each on an index built at ingest, never a scan of payloads: trace ids (the spans' key),
 * span ids (spans_span_id), failure group ids (dead_letters_failure_group), message ids (spans_message_id), business keys (workflows_key, and workflow_traces for their
 * traces), dead letters by id, by trace and by their keys (dead_letter_keys, filled as they are stored), names of
 * groups and queues (trigram indexes), topics of the groups' latest polls.
 */

const likeOf = (text: string) => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

export async function searchEverything(db: Db, t: SearchTerms, perKind = 10): Promise<SearchResult[]> {
  const out: SearchResult[] = [];
  const text = t.text;
  const traceIds = new Set<string>();
  const tasks: Promise<void>[] = [];

  const traceRows = async (ids: string[], match: SearchResult["match"], exact: boolean) => {
    if (!ids.length) return;
    // the root (or earliest) span of each, for its title
    const r = await db.execute<{ trace_id: string; service: string; name: string }>(sql`
      select distinct on (trace_id) trace_id, service, name from spans
      where trace_id = any(${sql.param(ids)}::text[]) order by trace_id, (parent_span_id is null) desc, start_time`);
    for (const x of r.rows) out.push({ kind: "trace", id: x.trace_id, title: `${x.service}: ${x.name}`, url: searchUrls.trace(x.trace_id), exact, match });
  };
  const deadLetterRows = async (where: ReturnType<typeof sql>, match: SearchResult["match"], exact: boolean) => {
    const r = await db.execute<{ id: string; source: string; reason: string | null; trace_id: string | null }>(sql`
      select id::text as id, source, reason, trace_id from dead_letters where ${where} order by dead_letters.id desc limit ${perKind}`);
    for (const x of r.rows) {
      out.push({ kind: "dead_letter", id: x.id, title: `#${x.id} in ${x.source}${x.reason ? ` (${x.reason})` : ""}`, url: searchUrls.deadLetter(x.id), exact, match });
      if (x.trace_id) traceIds.add(x.trace_id);
    }
  };

  if (t.traceId) {
    const traceId = t.traceId;
    tasks.push(traceRows([traceId], "id", true));
    tasks.push(deadLetterRows(sql`trace_id = ${traceId}`, "related", false));
    tasks.push(
      (async () => {
        const r = await db.execute<{ id: string; key: string; name: string; state: string }>(sql`
          select w.id::text as id, w.key, w.name, w.state from workflow_traces wt join workflows w on w.id = wt.workflow_id where wt.trace_id = ${traceId} limit ${perKind}`);
        for (const x of r.rows) out.push({ kind: "workflow", id: x.id, title: `${x.name || "workflow"} ${x.key} (${x.state})`, url: searchUrls.workflow(x.id), exact: false, match: "related" });
      })(),
    );
  }
  if (t.spanId) {
    const spanId = t.spanId;
    tasks.push(
      (async () => {
        const r = await db.execute<{ trace_id: string; span_id: string; service: string; name: string }>(sql`
          select trace_id, span_id, service, name from spans where span_id = ${spanId} limit ${perKind}`);
        for (const x of r.rows) out.push({ kind: "span", id: `${x.trace_id}/${x.span_id}`, title: `${x.service}: ${x.name}`, url: searchUrls.span(x.trace_id, x.span_id), exact: true, match: "id" });
      })(),
    );
  }
  if (t.spanId) {
    // a failure group's id has a span id's shape (16 hex digits): the Dead letters page narrowed to it
    const id = t.spanId;
    tasks.push(
      (async () => {
        const r = await db.execute<{ n: string; destination: string | null; type: string | null; reason: string | null }>(sql`
          select count(*)::text as n, (array_agg(original_destination))[1] as destination, (array_agg(failure_type))[1] as type, (array_agg(reason))[1] as reason
          from dead_letters where failure_group = ${id} having count(*) > 0`);
        for (const x of r.rows) {
          const what = [x.destination, x.type ?? x.reason].filter(Boolean).join(": ") || "failure group";
          out.push({ kind: "failure_group", id, title: `${what} (${x.n} dead letter${x.n === "1" ? "" : "s"})`, url: searchUrls.failureGroup(id), exact: true, match: "id" });
        }
      })(),
    );
  }
  if (t.numericId !== null) tasks.push(deadLetterRows(sql`id = ${t.numericId}`, "id", true));

  // a business key (an order id): its workflow, the workflow's traces and their dead letters
  tasks.push(
    (async () => {
      const r = await db.execute<{ id: string; key: string; key_name: string; name: string; state: string; trace_ids: string[] }>(sql`
        select id::text as id, key, key_name, name, state, trace_ids from workflows where key = ${text} limit 1`);
      for (const x of r.rows) {
        out.push({ kind: "workflow", id: x.id, title: `${x.name || "workflow"} ${x.key} (${x.state})`, url: searchUrls.workflow(x.id), exact: true, match: "key" });
        for (const tr of x.trace_ids.slice(0, perKind)) traceIds.add(tr);
        if (x.trace_ids.length) await deadLetterRows(sql`trace_id = any(${sql.param(x.trace_ids)}::text[])`, "related", false);
      }
    })(),
  );
  // a message id, a message key or another id a dead letter carries in its headers
  tasks.push(deadLetterRows(sql`id in (select dead_letter_id from dead_letter_keys where value = ${text} limit ${perKind})`, "key", false));
  // a message id the spans name: the traces that published or processed it
  tasks.push(
    (async () => {
      const r = await db.execute<{ trace_id: string }>(sql`select distinct trace_id from spans where messaging_message_id = ${text} limit ${perKind}`);
      for (const x of r.rows) traceIds.add(x.trace_id);
    })(),
  );
  // names: consumer groups and queues (trigram indexes), topics of the groups' latest polls
  if (text.length >= 2) {
    const like = likeOf(text);
    tasks.push(
      (async () => {
        const r = await db.execute<{ cluster: string; group_id: string; status: string }>(sql`
          select cluster, group_id, status from kafka_group_status where group_id ilike ${like} order by length(group_id), group_id limit ${perKind}`);
        for (const x of r.rows) {
          const m = nameMatch(x.group_id, text)!;
          out.push({ kind: "group", id: `${x.cluster}/${x.group_id}`, title: `${x.group_id} on ${x.cluster} (${x.status})`, url: searchUrls.group(x.cluster, x.group_id), exact: m === "name", match: m });
        }
      })(),
      (async () => {
        const r = await db.execute<{ broker: string; vhost: string; name: string }>(sql`
          select broker, vhost, name from rabbitmq_queues where name ilike ${like} order by length(name), name limit ${perKind}`);
        for (const x of r.rows) {
          const m = nameMatch(x.name, text)!;
          out.push({ kind: "queue", id: `${x.broker}/${x.vhost}/${x.name}`, title: `${x.name} (${x.broker}, vhost ${x.vhost})`, url: searchUrls.queue(x.broker, x.vhost, x.name), exact: m === "name", match: m });
        }
      })(),
      (async () => {
        const r = await db.execute<{ topic: string }>(sql`
          select distinct topic from kafka_lag_samples where sampled_at > now() - interval '15 minutes' and topic ilike ${like} order by topic limit ${perKind}`);
        for (const x of r.rows) {
          const m = nameMatch(x.topic, text)!;
          out.push({ kind: "topic", id: x.topic, title: x.topic, url: searchUrls.topic(x.topic), exact: m === "name", match: m });
        }
      })(),
    );
  }
  await Promise.all(tasks);
  const already = new Set(out.filter((r) => r.kind === "trace").map((r) => r.id));
  await traceRows([...traceIds].filter((id) => !already.has(id)).slice(0, perKind), "related", false);
  return out;
}
