import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runMigrations } from "../../db/migrate";
import { freshDatabase } from "./helpers";

describe("migrations", () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  beforeAll(async () => {
    db = await freshDatabase("switchyard_mig");
  });
  afterAll(async () => db?.drop());

  it("create the whole schema on an empty database, and are idempotent", async () => {
    await runMigrations(db.url);
    await runMigrations(db.url); // second run applies nothing and does not fail
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    const tables = (await c.query("select tablename from pg_tables where schemaname = 'public' order by 1")).rows.map((r) => r.tablename);
    expect(tables).toEqual([
      "alert_deliveries",
      "alert_events",
      "alert_rules",
      "alert_states",
      "audit_log",
      "dead_letter_keys",
      "dead_letters",
      "flow_edge_minutes",
      "kafka_group_status",
      "kafka_group_status_history",
      "kafka_lag_rollups",
      "kafka_lag_samples",
      "rabbitmq_queue_rollups",
      "rabbitmq_queue_samples",
      "rabbitmq_queues",
      "replay_batches",
      "replay_items",
      "replays",
      "source_health",
      "span_links",
      "span_links_default",
      "span_resources",
      "spans",
      "spans_default",
      "workflow_traces",
      "workflows",
    ]);
    const idx = (await c.query("select indexname from pg_indexes where schemaname = 'public'")).rows.map((r) => r.indexname);
    expect(idx).toEqual(expect.arrayContaining(["dead_letters_dedup", "kafka_lag_samples_group_time", "spans_service_time", "span_links_linked", "flow_edge_minutes_pk", "workflows_key", "workflow_traces_trace_id_workflow_id_pk", "workflow_traces_workflow", "dead_letters_captured"]));
    expect(idx).not.toContain("workflows_traces");
    expect(idx).toEqual(expect.arrayContaining(["spans_span_id", "dead_letter_keys_value_dead_letter_id_pk", "kafka_group_status_group_trgm", "rabbitmq_queues_name_trgm"]));
    // dead letters' search keys are filled as they are stored
    const trig = await c.query("select tgname from pg_trigger where tgrelid = 'dead_letters'::regclass and not tgisinternal");
    expect(trig.rows.map((r) => r.tgname)).toEqual(["dead_letter_keys_fill"]);
    // the dead-letter idempotency key is really unique
    const row = `insert into dead_letters (system, source_name, source, dedup_key, payload, payload_size) values ('kafka','local','t.DLT','t.DLT/0/1','\\x00',1)`;
    await c.query(row);
    await expect(c.query(row)).rejects.toThrow(/dead_letters_dedup/);
    // a status change of a dead letter touches no index (HOT): no index of dead_letters holds status
    const statusIdx = await c.query("select indexname from pg_indexes where tablename = 'dead_letters' and indexdef ~ '\\mstatus\\M'");
    expect(statusIdx.rows).toEqual([]);
    const applied = await c.query("select count(*)::int as n from drizzle.__drizzle_migrations");
    expect(applied.rows[0].n).toBeGreaterThan(0);
    await c.end();
  });
});
