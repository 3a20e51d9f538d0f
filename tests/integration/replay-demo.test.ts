import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type DbHandle } from "../../db/client";
import { runMigrations } from "../../db/migrate";
import { createReplay } from "../../db/mutations/create-replay";
import { getReplay, listReplayItems } from "../../db/queries/replays";
import { topology } from "../../demo/topology";
import { ensureTopology } from "../../demo/setup";
import type { Actor } from "../../lib/audit";
import { collectorsEnv, config, freePort, freshDatabase, runTs, waitUntil, type RunningProcess } from "./helpers";

/**
 * Done means processed, with the demo's own consumers (real SDK, real instrumentations, real brokers): a replayed
 * poison order is still unparseable and ends failed again, its new dead letter linked to the replay; a replayed
 * declined payment, once the payment service accepts declined cards (DEMO_DECLINES=off), ends processed, the payment
 * service's span a child of the replay's span in the order's own trace.
 */
const actor: Actor = { user: "it-operator", role: "operator", requestId: "it-demo-replay", clientAddress: "127.0.0.1" };

describe("replay with the demo's consumers", () => {
  const cluster = config.KAFKA_CLUSTERS[0]!;
  const rabbit = config.RABBITMQ_BROKERS[0]!;
  let fresh: Awaited<ReturnType<typeof freshDatabase>>;
  let h: DbHandle;
  let client: pg.Client;
  let collectors: RunningProcess | null = null;
  let demo: RunningProcess | null = null;
  let env: Record<string, string>;
  const startDemo = async (extra: Record<string, string>) =>
    runTs("demo/run.ts", {
      KAFKA_BROKERS: cluster.brokers.join(","),
      RABBITMQ_URL: rabbit.amqpUrl,
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `http://127.0.0.1:${env.OTLP_HTTP_PORT}/v1/traces`,
      DEMO_ORDER_PORT: String(await freePort()),
      DEMO_SLOW_MS: "200",
      DEMO_FLAKY_RATE: "0",
      DEMO_STALL_RATE: "0",
      KAFKAJS_NO_PARTITIONER_WARNING: "1",
      ...extra,
    });

  beforeAll(async () => {
    await ensureTopology(cluster.brokers, rabbit.amqpUrl);
    fresh = await freshDatabase("switchyard_replay_demo");
    await runMigrations(fresh.url);
    h = createDb(fresh.url, { max: 4 });
    client = new pg.Client({ connectionString: fresh.url });
    await client.connect();
    env = await collectorsEnv({
      DATABASE_URL: fresh.url,
      KAFKA_DLT_PATTERNS: topology.kafka.ordersDlt,
      // a group of its own: the DLT is read from the start into this test's database only
      KAFKA_DLT_GROUP: `it-replay-demo-${process.pid}-${Date.now()}`,
      RABBITMQ_DLQ_PATTERNS: topology.rabbit.paymentsDlq,
      KAFKA_GROUP_INCLUDE: "none-of-the-demo",
      WORKFLOW_QUIET_AFTER: "3s",
    });
    collectors = runTs("collectors/main.ts", env);
  });
  afterAll(async () => {
    await demo?.stop();
    await collectors?.stop();
    await client?.end();
    await h?.close();
    await fresh?.drop();
  });

  it("a poison order ends failed again (its new dead letter links to the replay); a declined payment, accepted now, ends processed in its trace", async () => {
    const started = new Date();
    demo = await startDemo({ DEMO_RATE: "10", DEMO_KAFKA_POISON_RATE: "0.2", DEMO_DECLINE_RATE: "0.2" });
    const declined = await waitUntil(
      "a declined payment captured, with its trace",
      async () =>
        (
          await client.query<{ id: string; trace_id: string }>(
            `select id::text, trace_id from dead_letters where system = 'rabbitmq' and source = $1 and captured_at > $2 and trace_id is not null
               and convert_from(payload, 'UTF8') like '%payment-declined%' order by id limit 1`,
            [topology.rabbit.paymentsDlq, started],
          )
        ).rows[0],
      90_000,
      1000,
    );
    const poison = await waitUntil(
      "a poison order captured from the DLT",
      async () =>
        (
          await client.query<{ id: string; trace_id: string | null }>(
            `select id::text, trace_id from dead_letters where system = 'kafka' and source = $1 and coalesce(last_dead_at, first_dead_at) > $2 and replay_id is null order by id desc limit 1`,
            [topology.kafka.ordersDlt, started],
          )
        ).rows[0],
      90_000,
      1000,
    );
    // the declined order's workflow is dead-lettered, its dead letter linked
    const workflowOf = async () => (await client.query<{ state: string; dead_letter_ids: string[]; evidence: { text: string }[] }>("select state, dead_letter_ids::text[], evidence from workflows where $1 = any(trace_ids)", [declined.trace_id])).rows[0];
    const before = await waitUntil("the declined order's workflow dead-lettered", async () => ((await workflowOf())?.state === "dead_lettered" ? workflowOf() : null), 60_000, 1000);
    expect(before!.dead_letter_ids).toContain(declined.id);
    // the payment service accepts declined cards now; no new traffic
    await demo.stop();
    demo = await startDemo({ DEMO_RATE: "0", DEMO_DECLINES: "off" });
    await waitUntil("demo consumers up", async () => /payment-service: consuming/.test(demo!.output()) && /inventory-service: consuming/.test(demo!.output()), 60_000, 500);
    await new Promise((r) => setTimeout(r, 3000)); // the Kafka consumer's group joined

    const { id } = await createReplay(h.db, { selection: { ids: [Number(declined.id), Number(poison.id)] }, ratePerSecond: 10, force: false, dryRun: false, maxAttempts: 3 }, actor);
    const settled = await waitUntil(
      "both items settled",
      async () => {
        const r = (await getReplay(h.db, id))!;
        return r.processed === 1 && r.failedAgain === 1 ? r : null;
      },
      120_000,
      1000,
    ).catch(async (e: Error) => {
      throw new Error(`${e.message}: ${JSON.stringify(await getReplay(h.db, id))}\n${collectors?.output().slice(-2000)}`);
    });
    expect(settled).toMatchObject({ status: "done", confirmed: 2 });

    const items = (await listReplayItems(h.db, id, { limit: 10 }))!.items;
    const pay = items.find((i) => i.deadLetterId === Number(declined.id))!;
    const bad = items.find((i) => i.deadLetterId === Number(poison.id))!;
    expect(pay.status).toBe("processed");
    expect(bad.status).toBe("failed_again");
    // the new dead letter links to the replay
    expect(bad.failedAgainAs).not.toBeNull();
    const again = await client.query("select replay_id::int as replay_id, status from dead_letters where id = $1", [bad.failedAgainAs]);
    expect(again.rows[0]).toEqual({ replay_id: id, status: "new" });
    const st = await client.query("select id::text, status from dead_letters where id = any($1) order by id", [[declined.id, poison.id]]);
    expect(Object.fromEntries(st.rows.map((r) => [r.id, r.status]))).toEqual({ [declined.id]: "replayed", [poison.id]: "failed_again" });

    // seen in the original trace: the replay's span, and the payment service's span under it
    expect(pay.traceId).toBe(declined.trace_id);
    const spans = await client.query<{ service: string; parent_span_id: string | null; span_id: string }>(
      "select service, parent_span_id, span_id from spans where trace_id = $1 and (span_id = $2 or parent_span_id = $2)",
      [declined.trace_id, pay.spanId],
    );
    expect(spans.rows.find((s) => s.span_id === pay.spanId)?.service).toBe("switchyard");
    expect(spans.rows.some((s) => s.parent_span_id === pay.spanId && s.service === "payment-service")).toBe(true);
    // and its workflow moved on from dead-lettered to completed by the same evidence
    const after = await waitUntil("the replayed order's workflow completed", async () => ((await workflowOf())?.state === "completed" ? workflowOf() : null), 60_000, 1000);
    expect(after!.evidence.some((e) => /is replayed/.test(e.text))).toBe(true);
  }, 300_000);
});
