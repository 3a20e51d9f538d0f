import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type DbHandle } from "../../db/client";
import { runMigrations } from "../../db/migrate";
import pg from "pg";
import { createReplay } from "../../db/mutations/create-replay";
import { replayChannel } from "../../db/queries/replay-control";
import { planReplay } from "../../db/queries/replay-plan";
import { claimItems, closeBatch, closeBatches, closeSending, runnableReplays, sendingItems, writeAnswers } from "../../db/queries/replay-run";
import { getReplay, listReplayItems } from "../../db/queries/replays";
import { cancelReplay } from "../../db/mutations/cancel-replay";
import { discardDeadLetters } from "../../db/mutations/discard-dead-letters";
import { deadLetters } from "../../db/schema";
import { deadLetterStatuses, type DeadLetterStatus } from "../../lib/dead-letters";
import { skipReasonOf } from "../../lib/replay/plan";
import { freshDatabase } from "./helpers";

/** The replay plan in Postgres, on the real database: the same rule as lib's, for every combination. */
describe("replay plan", () => {
  let fresh: Awaited<ReturnType<typeof freshDatabase>>;
  let h: DbHandle;
  let n = 0;

  beforeAll(async () => {
    fresh = await freshDatabase("switchyard_plan");
    await runMigrations(fresh.url);
    h = createDb(fresh.url, { max: 4 });
  });
  afterAll(async () => {
    await h?.close();
    await fresh?.drop();
  });

  it("agrees with lib's skip rule for every status, truncation, replay count and destination, with and without force", async () => {
    const combos: { status: DeadLetterStatus; truncated: boolean; count: number | string; dest: string | null; returned: boolean }[] = [];
    for (const status of deadLetterStatuses)
      for (const truncated of [false, true])
        for (const count of [0, 2, 3, 7, "junk"])
          for (const dest of ["shop.orders[1]@5", null]) for (const returned of [false, true]) combos.push({ status, truncated, count, dest, returned });
    const rows = await h.db
      .insert(deadLetters)
      .values(
        combos.map((c) => ({
          system: "kafka",
          sourceName: "local",
          source: "plan.DLT",
          dedupKey: `p${n++}`,
          payload: Buffer.from("{}"),
          payloadSize: 2,
          payloadTruncated: c.truncated,
          status: c.status,
          originalDestination: c.dest,
          headers: { "x-switchyard-replay-count": String(c.count) },
          returnedAs: c.returned ? 1 : null,
        })),
      )
      .returning({ id: deadLetters.id });
    for (const force of [false, true]) {
      for (const [i, c] of combos.entries()) {
        const plan = await planReplay(h.db, { ids: [rows[i]!.id] }, { force, maxAttempts: 3 });
        const expected = skipReasonOf(
          { status: c.status, payloadTruncated: c.truncated, replayCount: typeof c.count === "number" ? c.count : 0, destination: c.dest ? "shop.orders" : null, returned: c.returned },
          { force, maxAttempts: 3 },
        );
        const got = plan.skipped[0]?.reason ?? null;
        expect(`${JSON.stringify(c)} force=${force}: ${got}`).toBe(`${JSON.stringify(c)} force=${force}: ${expected}`);
        if (!expected) expect(plan.byDestination).toEqual([{ system: "kafka", destination: "shop.orders", count: 1 }]);
      }
    }
  });

  it("counts a large selection in Postgres, by destination and reason; a typed destination replaces each one's own", async () => {
    const many = Array.from({ length: 5000 }, (_, i) => ({
      system: i % 2 ? "kafka" : "rabbitmq",
      sourceName: "local",
      source: "big.DLT",
      dedupKey: `b${i}`,
      payload: Buffer.from("x"),
      payloadSize: 1,
      status: i % 10 === 0 ? "discarded" : "new",
      originalDestination: i % 2 ? `orders[${i % 3}]@${i}` : "orders-q",
      originalExchange: i % 2 ? null : "shop",
      originalRoutingKey: i % 2 ? null : "orders.created",
    }));
    for (let i = 0; i < many.length; i += 1000) await h.db.insert(deadLetters).values(many.slice(i, i + 1000));
    const plan = await planReplay(h.db, { filter: { source: "big.DLT", exact: true } }, { force: false, maxAttempts: 3 });
    expect(plan.total).toBe(5000);
    expect(plan.skipped).toEqual([{ reason: "discarded", count: 500 }]);
    expect(plan.byDestination).toEqual([
      { system: "kafka", destination: "orders", count: 2500 },
      { system: "rabbitmq", destination: "shop / orders.created", count: 2000 },
    ]);
    const typed = await planReplay(h.db, { filter: { source: "big.DLT", exact: true } }, { destination: "orders.retry", force: false, maxAttempts: 3 });
    expect(typed.byDestination.map((d) => [d.system, d.destination, d.count])).toEqual([
      ["kafka", "orders.retry", 2500],
      ["rabbitmq", "orders.retry", 2000],
    ]);
  });
});

describe("making a replay", () => {
  let fresh: Awaited<ReturnType<typeof freshDatabase>>;
  let h: DbHandle;
  const actor = { user: "otto", role: "operator", requestId: "req-replay-1", clientAddress: "10.0.0.9" };

  beforeAll(async () => {
    fresh = await freshDatabase("switchyard_replay");
    await runMigrations(fresh.url);
    h = createDb(fresh.url, { max: 4 });
  });
  afterAll(async () => {
    await h?.close();
    await fresh?.drop();
  });

  const insert = async (rows: { status?: string; dest?: string | null }[]) =>
    (
      await h.db
        .insert(deadLetters)
        .values(rows.map((r, i) => ({ system: "kafka", sourceName: "local", source: "mk.DLT", dedupKey: `m${Date.now()}-${i}-${Math.random()}`, payload: Buffer.from("{}"), payloadSize: 2, status: r.status ?? "new", originalDestination: r.dest === undefined ? "orders[0]@1" : r.dest })))
        .returning({ id: deadLetters.id })
    ).map((r) => r.id);

  it("a dry run records its plan and sends nothing; a real one writes its items from the same rule, takes its dead letters and notifies", async () => {
    const ids = await insert([{}, {}, { status: "discarded" }, { dest: null }]);
    const listener = new pg.Client({ connectionString: fresh.url });
    await listener.connect();
    const notes: string[] = [];
    listener.on("notification", (n) => notes.push(String(n.payload)));
    await listener.query(`listen ${replayChannel}`);
    try {
      const dry = await createReplay(h.db, { selection: { ids }, ratePerSecond: 50, force: false, dryRun: true, maxAttempts: 3 }, actor);
      expect(dry.status).toBe("done");
      expect(dry.plan).toEqual({ total: 4, byDestination: [{ system: "kafka", destination: "orders", count: 2 }], skipped: [{ reason: "discarded", count: 1 }, { reason: "no_destination", count: 1 }], throughId: Math.max(...ids) });
      expect((await h.pool.query("select count(*)::int n from replay_items where replay_id = $1", [dry.id])).rows[0].n).toBe(0);
      expect((await h.pool.query("select count(*)::int n from dead_letters where id = any($1) and status = 'replaying'", [ids])).rows[0].n).toBe(0);

      const real = await createReplay(h.db, { selection: { ids }, ratePerSecond: 20, force: false, dryRun: false, maxAttempts: 3 }, actor);
      expect(real.status).toBe("pending");
      const items = (await h.pool.query("select dead_letter_id::int id, status, skip_reason, destination from replay_items where replay_id = $1 order by dead_letter_id", [real.id])).rows;
      expect(items).toEqual([
        { id: ids[0], status: "pending", skip_reason: null, destination: "orders" },
        { id: ids[1], status: "pending", skip_reason: null, destination: "orders" },
        { id: ids[2], status: "skipped", skip_reason: "discarded", destination: "orders" },
        { id: ids[3], status: "skipped", skip_reason: "no_destination", destination: null },
      ]);
      expect((await h.pool.query("select status from dead_letters where id = any($1) order by id", [ids])).rows.map((r) => r.status)).toEqual(["replaying", "replaying", "discarded", "new"]);
      // a second replay of the same dead letters finds them taken
      const second = await createReplay(h.db, { selection: { ids }, ratePerSecond: 20, force: true, dryRun: true, maxAttempts: 3 }, actor);
      expect(second.plan.skipped).toContainEqual({ reason: "in_another_replay", count: 2 });
      await new Promise((r) => setTimeout(r, 200));
      expect(notes).toEqual([String(real.id)]);
      const audit = (await h.pool.query("select action, target_id, details from audit_log where target_type = 'replay' order by id")).rows;
      expect(audit.map((a) => a.action)).toEqual(["replays.plan", "replays.create", "replays.plan"]);
      expect(audit[1].details).toMatchObject({ total: 4, sendable: 2, ratePerSecond: 20 });
    } finally {
      await listener.end();
    }
  });

  it("a real run given the dry run's throughId replays exactly what that plan counted, not what was captured since", async () => {
    const first = await insert([{ dest: "late[0]@1" }, { dest: "late[0]@2" }]);
    const dry = await createReplay(h.db, { selection: { ids: first }, ratePerSecond: 50, force: false, dryRun: true, maxAttempts: 3 }, actor);
    expect(dry.plan.throughId).toBe(Math.max(...first));
    const later = await insert([{ dest: "late[0]@3" }]);
    const real = await createReplay(h.db, { selection: { ids: [...first, ...later] }, ratePerSecond: 50, force: false, dryRun: false, maxAttempts: 3, throughId: dry.plan.throughId! }, actor);
    expect(real.plan.total).toBe(2);
    const taken = (await h.pool.query("select dead_letter_id::int id from replay_items where replay_id = $1 order by 1", [real.id])).rows.map((r) => r.id);
    expect(taken).toEqual(first);
  });

});

describe("two replays of the same dead letters at once", () => {
  let fresh: Awaited<ReturnType<typeof freshDatabase>>;
  let h: DbHandle;
  beforeAll(async () => {
    fresh = await freshDatabase("switchyard_replay2");
    await runMigrations(fresh.url);
    h = createDb(fresh.url, { max: 8 });
  });
  afterAll(async () => {
    await h?.close();
    await fresh?.drop();
  });

  it("each dead letter is pending in exactly one of them", async () => {
    const rows = await h.db
      .insert(deadLetters)
      .values(Array.from({ length: 200 }, (_, i) => ({ system: "kafka", sourceName: "local", source: "race.DLT", dedupKey: `r${i}`, payload: Buffer.from("{}"), payloadSize: 2, originalDestination: "orders" })))
      .returning({ id: deadLetters.id });
    const actor = { user: "otto", role: "operator", requestId: "req-race-1", clientAddress: null };
    const input = { selection: { filter: { source: "race.DLT", exact: true } }, ratePerSecond: 50, force: false, dryRun: false, maxAttempts: 3 };
    const [a, b] = await Promise.all([createReplay(h.db, input, actor), createReplay(h.db, input, actor)]);
    const pending = (await h.pool.query("select replay_id::int r, count(*)::int n from replay_items where status = 'pending' group by 1 order by 1")).rows;
    expect(pending.reduce((x, r) => x + r.n, 0)).toBe(rows.length);
    expect(pending).toHaveLength(1);
    // the plans say the same as the items: one sends all 200, the other finds them taken
    const sendable = [a, b].map((r) => r.plan.byDestination.reduce((x, d) => x + d.count, 0)).sort((x, y) => x - y);
    expect(sendable).toEqual([0, 200]);
  });

  it("a replay and a discard over the same dead letters at once: each dead letter is taken by one of them, never both, and neither fails", async () => {
    const rows = await h.db
      .insert(deadLetters)
      .values(Array.from({ length: 300 }, (_, i) => ({ system: "kafka", sourceName: "local", source: "race2.DLT", dedupKey: `d${i}`, payload: Buffer.from("{}"), payloadSize: 2, originalDestination: "orders" })))
      .returning({ id: deadLetters.id });
    const actor = { user: "otto", role: "operator", requestId: "req-race-2", clientAddress: null };
    const selection = { filter: { source: "race2.DLT", exact: true } };
    const [replay, discarded] = await Promise.all([
      createReplay(h.db, { selection, ratePerSecond: 50, force: false, dryRun: false, maxAttempts: 3 }, actor),
      discardDeadLetters(h.db, { selection, reason: "race" }, actor),
    ]);
    const sendable = replay.plan.byDestination.reduce((x, d) => x + d.count, 0);
    expect(sendable + discarded.changed).toBe(rows.length);
    const st = (await h.pool.query<{ status: string; n: number }>("select status, count(*)::int n from dead_letters where source = 'race2.DLT' group by 1")).rows;
    expect(Object.fromEntries(st.map((r) => [r.status, r.n]))).toEqual({ ...(sendable ? { replaying: sendable } : {}), ...(discarded.changed ? { discarded: discarded.changed } : {}) });
  });

  it("a batch being sent: its items show as sending, a cancel leaves them to the sender, recovery finds them; the rest are cancelled", async () => {
    await h.db
      .insert(deadLetters)
      .values(Array.from({ length: 50 }, (_, i) => ({ system: "rabbitmq", sourceName: "local", vhost: "/", source: "batch.dlq", dedupKey: `b${i}`, payload: Buffer.from(`{"n":${i}}`), payloadSize: 8, originalExchange: "", originalRoutingKey: "orders" })));
    const actor = { user: "otto", role: "operator", requestId: "req-batch", clientAddress: null };
    const { id } = await createReplay(h.db, { selection: { filter: { source: "batch.dlq", exact: true } }, ratePerSecond: 50, force: false, dryRun: false, maxAttempts: 3 }, actor);
    // every item has its span before anything is sent (the send carries it, recovery looks for it)
    const spans = await h.pool.query<{ n: number }>("select count(*)::int n from replay_items where replay_id = $1 and span_id ~ '^[0-9a-f]{16}$' and trace_id ~ '^[0-9a-f]{32}$'", [id]);
    expect(spans.rows[0]!.n).toBe(50);
    await h.pool.query("update replays set status = 'running' where id = $1", [id]);
    const batch = (await claimItems(h.db, id, 10))!;
    expect(batch.items).toHaveLength(10);
    // the next claim never takes a batch's items again, from the cursor or from the start
    const second = (await claimItems(h.db, id, 10, 0))!;
    expect(second.items.map((i) => i.id).filter((x) => batch.items.some((b) => b.id === x))).toEqual([]);
    await closeBatch(h.db, second.id);
    const sending = await listReplayItems(h.db, id, { status: "sending", limit: 100 });
    expect(sending!.items.map((i) => i.id)).toEqual(batch.items.map((i) => i.id));
    expect((await listReplayItems(h.db, id, { status: "pending", limit: 100 }))!.items).toHaveLength(40);
    const cancelled = await cancelReplay(h.db, id, actor);
    expect(cancelled.cancelled).toBe(40);
    expect(cancelled.remaining).toBe(10);
    // the replay waits for its sender: it is still runnable, and its batch's items are what recovery looks at
    expect((await runnableReplays(h.db)).map((r) => r.id)).toContain(id);
    const caught = await sendingItems(h.db, id);
    expect(caught.map((i) => i.id)).toEqual(batch.items.map((i) => i.id));
    expect(caught.map((i) => i.spanId)).toEqual(batch.items.map((i) => i.spanId));
    // a claim after the cancel takes nothing
    expect(await claimItems(h.db, id, 10)).toBeNull();
    await closeSending(h.db, [], [], caught.map((i) => i.id));
    await closeBatches(h.db, id);
    const end = (await getReplay(h.db, id))!;
    expect(end.remaining).toBe(0);
    expect(end.uncertain).toBe(10);
    expect((await runnableReplays(h.db)).map((r) => r.id)).not.toContain(id);
    const st = (await h.pool.query<{ status: string; n: number }>("select status, count(*)::int n from dead_letters where source = 'batch.dlq' group by 1 order by 1")).rows;
    expect(st).toEqual([
      { status: "new", n: 40 },
      { status: "replayed", n: 10 },
    ]);
  });
  it("claims at most maxBytes of payload (always one), and writes each confirmed item's own span, a child of the span its dead letter died under", async () => {
    const trace = (i: number) => (0xabc000 + i).toString(16).padStart(32, "0");
    const tp = (t: string, span: string) => `00-${t}-${span}-01`;
    const span = "00f067aa0ba902b7";
    // the header as the consumer's instrumentation reads it, and what is not one
    const cases: { headers: Record<string, unknown>; parent: string | null }[] = [
      { headers: { traceparent: tp(trace(0), span) }, parent: span },
      { headers: { TraceParent: tp(trace(1), span), "x-app": "a" }, parent: span },
      { headers: { traceparent: `  ${tp(trace(2), span)}\n` }, parent: span },
      { headers: { traceparent: "junk" }, parent: null },
      { headers: { traceparent: tp(trace(4), "0".repeat(16)) }, parent: null },
      { headers: { traceparent: tp("f".repeat(32), span) }, parent: null }, // another trace's span: not this trace's parent
      { headers: { traceparent: 5 }, parent: null },
      { headers: {}, parent: null },
    ];
    await h.db.insert(deadLetters).values(
      cases.map((c, i) => ({ system: "rabbitmq", sourceName: "local", vhost: "/", source: "spans.dlq", dedupKey: `s${i}`, payload: Buffer.alloc(100, 0x61), payloadSize: 100, traceId: trace(i), headers: c.headers, originalExchange: "", originalRoutingKey: "orders" })),
    );
    const actor = { user: "otto", role: "operator", requestId: "req-spans", clientAddress: null };
    const { id } = await createReplay(h.db, { selection: { filter: { source: "spans.dlq", exact: true } }, ratePerSecond: 50, force: false, dryRun: false, maxAttempts: 3 }, actor);
    await h.pool.query("update replays set status = 'running' where id = $1", [id]);
    // 250 bytes take two of 100; one byte still takes one
    const two = (await claimItems(h.db, id, 10, 0, 250))!;
    expect(two.items).toHaveLength(2);
    const one = (await claimItems(h.db, id, 10, 0, 1))!;
    expect(one.items.map((i) => i.id)).toEqual([two.items[1]!.id + 1]);
    const rest = (await claimItems(h.db, id, 10))!;
    expect(rest.items).toHaveLength(cases.length - 3);
    const batches = [two, one, rest];
    for (const b of batches) await writeAnswers(h.db, b, { confirmed: b.items.map((i) => ({ id: i.id, system: i.system })), refused: [], nacked: [] }, true);
    const items = batches.flatMap((b) => b.items);
    const stored = await h.pool.query<{ trace_id: string; span_id: string; parent_span_id: string | null; service: string; name: string; kind: number; duration_ms: number; attributes: Record<string, unknown>; messaging_destination: string; messaging_operation: string; resource: Record<string, unknown>; sent: boolean }>(
      `select s.trace_id, s.span_id, s.parent_span_id, s.service, s.name, s.kind, s.duration_ms, s.attributes, s.messaging_destination, s.messaging_operation, r.attributes as resource,
         s.start_time = i.sent_at and s.start_unix_nano = (extract(epoch from i.sent_at) * 1000000)::bigint * 1000 as sent
       from spans s join span_resources r on r.id = s.resource_id join replay_items i on i.span_id = s.span_id and i.trace_id = s.trace_id
       where i.replay_id = $1 order by i.id`,
      [id],
    );
    expect(stored.rows).toHaveLength(cases.length);
    for (const [k, it] of items.entries()) {
      const row = stored.rows[k]!;
      expect(row).toMatchObject({ trace_id: trace(k), span_id: it.spanId, parent_span_id: cases[k]!.parent, service: "switchyard", name: "replay (default exchange) / orders", kind: 4, messaging_destination: "(default exchange) / orders", messaging_operation: "publish", resource: { "service.name": "switchyard" }, sent: true });
      expect(row.attributes).toEqual({ "switchyard.replay.id": id, "switchyard.replay.item": it.id, "switchyard.dead_letter.id": it.deadLetterId });
      expect(row.duration_ms).toBeGreaterThanOrEqual(0);
    }
    // the same answers written again (a retry) neither fail nor store a span twice
    await writeAnswers(h.db, rest, { confirmed: rest.items.map((i) => ({ id: i.id, system: i.system })), refused: [], nacked: [] }, true);
    const again = await h.pool.query<{ n: number }>("select count(*)::int n from spans s join replay_items i on i.span_id = s.span_id where i.replay_id = $1", [id]);
    expect(again.rows[0]!.n).toBe(cases.length);
    expect((await getReplay(h.db, id))!.confirmed).toBe(cases.length);
  });
  it("writes a batch's answers while the spans table is locked (partition maintenance): the spans are given up, the answers are not", async () => {
    await h.db.insert(deadLetters).values(Array.from({ length: 5 }, (_, i) => ({ system: "rabbitmq", sourceName: "local", vhost: "/", source: "locked.dlq", dedupKey: `l${i}`, payload: Buffer.from("{}"), payloadSize: 2, originalExchange: "", originalRoutingKey: "orders" })));
    const actor = { user: "otto", role: "operator", requestId: "req-locked", clientAddress: null };
    const { id } = await createReplay(h.db, { selection: { filter: { source: "locked.dlq", exact: true } }, ratePerSecond: 50, force: false, dryRun: false, maxAttempts: 3 }, actor);
    await h.pool.query("update replays set status = 'running' where id = $1", [id]);
    const batch = (await claimItems(h.db, id, 10))!;
    const holder = new pg.Client({ connectionString: fresh.url });
    await holder.connect();
    const refused: unknown[] = [];
    try {
      await holder.query("begin");
      await holder.query("lock table spans in access exclusive mode");
      const t0 = Date.now();
      await writeAnswers(h.db, batch, { confirmed: batch.items.map((i) => ({ id: i.id, system: i.system })), refused: [], nacked: [] }, true, (e) => refused.push(e));
      expect(Date.now() - t0).toBeLessThan(10_000);
    } finally {
      await holder.query("rollback").catch(() => undefined);
      await holder.end();
    }
    expect(refused).toHaveLength(1);
    expect((await getReplay(h.db, id))!.confirmed).toBe(5);
    expect((await h.pool.query("select 1 from replay_batches where id = $1", [batch.id])).rows).toHaveLength(0);
    const st = await h.pool.query<{ n: number }>("select count(*)::int n from dead_letters where source = 'locked.dlq' and status = 'replayed'");
    expect(st.rows[0]!.n).toBe(5);
  });
});
