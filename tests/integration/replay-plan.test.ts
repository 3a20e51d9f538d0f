import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type DbHandle } from "../../db/client";
import { runMigrations } from "../../db/migrate";
import pg from "pg";
import { createReplay } from "../../db/mutations/create-replay";
import { replayChannel } from "../../db/queries/replay-control";
import { planReplay } from "../../db/queries/replay-plan";
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
});
