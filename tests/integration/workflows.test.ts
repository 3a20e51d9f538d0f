import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context } from "@opentelemetry/api";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type DbHandle } from "../../db/client";
import { runMigrations } from "../../db/migrate";
import { applyWorkflowRetention, listWorkflows, touchWorkflows, type WorkflowRow } from "../../db/queries/workflows";
import { collectorsEnv, freshDatabase, runTs, waitUntil, type RunningProcess } from "./helpers";

/**
 * Workflow states derived by the collectors from spans the real SDK exports over OTLP (each service its own
 * exporter) and from dead letters: the business key joining a trace that lost its context, pending then stuck,
 * dead-lettered, failed, compensated, completed, and a kill -9 in between.
 */
describe("workflow states", () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let h: DbHandle;
  let env: Record<string, string>;
  let collectors: RunningProcess;
  const run = Date.now().toString(36);
  const P = `itw-${run}`;

  beforeAll(async () => {
    db = await freshDatabase("switchyard_wf");
    await runMigrations(db.url);
    h = createDb(db.url);
    env = await collectorsEnv({ DATABASE_URL: db.url, WORKFLOW_QUIET_AFTER: "3s", WORKFLOW_STUCK_AFTER: "6s", WORKFLOW_COMPENSATIONS: "*refund*", WORKFLOW_NAMES: "POST /checkout*=checkout" });
    collectors = runTs("collectors/main.ts", env);
    await waitUntil("receiver up", async () => (await fetch(`http://127.0.0.1:${env.OTLP_HTTP_PORT}/v1/traces`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" })).ok, 30_000);
  });
  afterAll(async () => {
    await collectors?.stop();
    await h?.close();
    await db?.drop();
  });

  async function service(name: string, fn: (t: ReturnType<TracerProvider["getTracer"]>) => void) {
    const provider = new TracerProvider({ resource: resourceFromAttributes({ "service.name": name }), spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: `http://127.0.0.1:${env.OTLP_HTTP_PORT}/v1/traces` }), scheduledDelayMillis: 60_000 })] });
    fn(provider.getTracer("it"));
    await provider.forceFlush();
    await provider.shutdown();
  }
  const under = (s: ReturnType<ReturnType<TracerProvider["getTracer"]>["startSpan"]>): Context => trace.setSpan(ROOT_CONTEXT, s);
  const byKey = async (key: string): Promise<WorkflowRow | null> => (await listWorkflows(h.db, { key, limit: 5 })).items[0] ?? null;
  const until = (key: string, what: string, ok: (w: WorkflowRow) => boolean, ms = 30_000) => waitUntil(`${key} ${what}`, async () => {
    const w = await byKey(key);
    return w && ok(w) ? w : null;
  }, ms, 500);

  it("joins by business key a trace that lost its context and by link a batch consumer's, and completes it once quiet; one workflow per key", async () => {
    const key = `${P}-ord-1`;
    const traces: string[] = [];
    let pubCtx: Context | null = null;
    await service(`${P}-gw`, (t) => {
      const root = t.startSpan("POST /checkout", { kind: SpanKind.SERVER, attributes: { "http.request.method": "POST", "order.id": key } });
      const pub = t.startSpan("send orders", { kind: SpanKind.PRODUCER, attributes: { "messaging.system": "rabbitmq", "messaging.destination.name": `${P}.orders`, "messaging.operation.type": "send" } }, under(root));
      pub.end();
      root.end();
      pubCtx = under(pub);
      traces.push(root.spanContext().traceId);
    });
    await service(`${P}-ledger`, (t) => {
      t.startSpan(`${P}.orders process`, { kind: SpanKind.CONSUMER, attributes: { "messaging.system": "rabbitmq", "messaging.destination.name": `${P}.orders`, "messaging.operation.type": "process" } }, pubCtx!).end();
      // later, in a new trace with no context, but the same order id
      const lost = t.startSpan("publish books", { kind: SpanKind.PRODUCER, attributes: { "messaging.system": "rabbitmq", "messaging.destination.name": `${P}.books`, "messaging.operation.type": "publish", "order.id": key } });
      lost.end();
      traces.push(lost.spanContext().traceId);
      t.startSpan(`${P}.books process`, { kind: SpanKind.CONSUMER, attributes: { "messaging.system": "rabbitmq", "messaging.destination.name": `${P}.books`, "messaging.operation.type": "process", "order.id": key } }, under(lost)).end();
    });
    // a batch consumer in a trace of its own, with no key, only linking to the publish: its trace joins too
    await service(`${P}-mail`, (t) => {
      const s = t.startSpan(`${P}.orders process`, { kind: SpanKind.CONSUMER, links: [{ context: trace.getSpanContext(pubCtx!)! }], attributes: { "messaging.system": "rabbitmq", "messaging.destination.name": `${P}.orders`, "messaging.operation.type": "process" } });
      s.end();
      traces.push(s.spanContext().traceId);
    });
    const w = await until(key, "completed", (x) => x.state === "completed" && x.traceIds.length === 3);
    expect(new Set(w.traceIds)).toEqual(new Set(traces));
    expect(w).toMatchObject({ name: "checkout", keyName: "order.id", stuck: false });
    expect((await listWorkflows(h.db, { key, limit: 5 })).items).toHaveLength(1);
  });

  it("pending while nothing processed what was published, then stuck; processed later (after a kill -9) it completes", async () => {
    const key = `${P}-ord-2`;
    let pubCtx: Context | null = null;
    await service(`${P}-gw`, (t) => {
      const root = t.startSpan("POST /checkout", { kind: SpanKind.SERVER, attributes: { "order.id": key } });
      const pub = t.startSpan("send", { kind: SpanKind.PRODUCER, attributes: { "messaging.system": "rabbitmq", "messaging.destination.name": `${P}.slow`, "messaging.operation.type": "send" } }, under(root));
      pub.end();
      root.end();
      pubCtx = under(pub);
    });
    const pending = await until(key, "pending", (x) => x.state === "pending");
    expect(pending.waitingOn).toMatchObject({ system: "rabbitmq", destination: `${P}.slow` });
    await until(key, "stuck", (x) => x.state === "pending" && x.stuck, 30_000);
    await collectors.stop("SIGKILL");
    collectors = runTs("collectors/main.ts", env);
    await waitUntil("receiver up again", async () => (await fetch(`http://127.0.0.1:${env.OTLP_HTTP_PORT}/v1/traces`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" }).catch(() => null))?.ok, 30_000);
    await service(`${P}-slow`, (t) => {
      t.startSpan("process", { kind: SpanKind.CONSUMER, attributes: { "messaging.system": "rabbitmq", "messaging.destination.name": `${P}.slow`, "messaging.operation.type": "process" } }, pubCtx!).end();
    });
    const done = await until(key, "completed", (x) => x.state === "completed");
    expect(done.stuck).toBe(false);
  });

  it("dead-lettered when a dead letter carries its trace; failed on an error no success made good; compensated by a refund", async () => {
    const dlKey = `${P}-ord-3`;
    let traceId = "";
    await service(`${P}-pay`, (t) => {
      const s = t.startSpan("payments process", { kind: SpanKind.CONSUMER, attributes: { "messaging.system": "rabbitmq", "messaging.destination.name": `${P}.payments`, "messaging.operation.type": "process", "order.id": dlKey } });
      s.setStatus({ code: SpanStatusCode.ERROR });
      s.end();
      traceId = s.spanContext().traceId;
    });
    await until(dlKey, "failed", (x) => x.state === "failed");
    const ins = await h.pool.query(
      `insert into dead_letters (system, source_name, source, dedup_key, payload, payload_size, reason, original_destination, trace_id) values ('rabbitmq', 'local', $1, $2, '\\x00ff'::bytea, 2, 'rejected', $3, $4) returning id`,
      [`${P}.payments.dlq`, `${P}-dl-1`, `${P}.payments`, traceId],
    );
    const dl = await until(dlKey, "dead-lettered", (x) => x.state === "dead_lettered");
    expect(dl.deadLetterIds).toEqual([Number(ins.rows[0].id)]);
    expect(dl.evidence.some((e) => e.deadLetterId === Number(ins.rows[0].id))).toBe(true);

    const cKey = `${P}-ord-4`;
    await service(`${P}-pay`, (t) => {
      const s = t.startSpan("POST /charge", { kind: SpanKind.SERVER, attributes: { "order.id": cKey } });
      s.setStatus({ code: SpanStatusCode.ERROR });
      s.end();
      t.startSpan("POST /refund", { kind: SpanKind.SERVER, attributes: { "order.id": cKey } }, under(s)).end();
    });
    await until(cKey, "compensated", (x) => x.state === "compensated");
  });

  it("links find their workflow by trace (workflow_traces), and retention drops a workflow quiet past the spans' days with its traces", async () => {
    const key = `${P}-ord-5`;
    const r = await h.db.execute<{ id: string }>(sql`
      insert into workflows (key, key_name, trace_ids, started_at, last_activity_at, evaluated_at, dirty)
      values (${key}, 'order.id', array[${"e".repeat(32)}], now() - interval '9 days', now() - interval '8 days', now(), false) returning id::text as id`);
    const id = Number(r.rows[0]!.id);
    const fresh = await h.db.execute<{ id: string }>(sql`
      insert into workflows (key, key_name, trace_ids, started_at, last_activity_at, evaluated_at, dirty)
      values (${`${key}-active`}, 'order.id', '{}', now(), now(), now(), false) returning id::text as id`);
    await h.db.execute(sql`insert into workflow_traces (trace_id, workflow_id) values (${"e".repeat(32)}, ${id})`);
    // a batch consumer's trace that only links to the old trace joins it, found through workflow_traces
    await touchWorkflows(h.db, [{ traceId: "f".repeat(32), linkedTraceId: "e".repeat(32) }], []);
    const joined = await h.db.execute<{ trace_ids: string[]; dirty: boolean }>(sql`select trace_ids, dirty from workflows where id = ${id}`);
    expect(joined.rows[0]).toEqual({ trace_ids: expect.arrayContaining(["e".repeat(32), "f".repeat(32)]), dirty: true });
    const traces = await h.db.execute<{ trace_id: string }>(sql`select trace_id from workflow_traces where workflow_id = ${id} order by 1`);
    expect(traces.rows.map((x) => x.trace_id)).toEqual(["e".repeat(32), "f".repeat(32)]);
    // the derivation saw no span of it in 8 days: with 7 days of spans kept, it goes, and its traces with it
    await h.db.execute(sql`update workflows set dirty = false, last_activity_at = now() - interval '8 days' where id = ${id}`);
    expect(await applyWorkflowRetention(h.db, 7)).toBeGreaterThanOrEqual(1);
    expect((await h.db.execute(sql`select 1 from workflows where id = ${id}`)).rows).toHaveLength(0);
    expect((await h.db.execute(sql`select 1 from workflow_traces where workflow_id = ${id}`)).rows).toHaveLength(0);
    // one active now stays
    expect((await h.db.execute(sql`select 1 from workflows where id = ${Number(fresh.rows[0]!.id)}`)).rows).toHaveLength(1);
  });
});
