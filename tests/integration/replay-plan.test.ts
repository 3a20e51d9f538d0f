import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type DbHandle } from "../../db/client";
import { runMigrations } from "../../db/migrate";
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
    const combos: { status: DeadLetterStatus; truncated: boolean; count: number | string; dest: string | null }[] = [];
    for (const status of deadLetterStatuses)
      for (const truncated of [false, true])
        for (const count of [0, 2, 3, 7, "junk"])
          for (const dest of ["shop.orders[1]@5", null]) combos.push({ status, truncated, count, dest });
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
        })),
      )
      .returning({ id: deadLetters.id });
    for (const force of [false, true]) {
      for (const [i, c] of combos.entries()) {
        const plan = await planReplay(h.db, { ids: [rows[i]!.id] }, { force, maxAttempts: 3 });
        const expected = skipReasonOf(
          { status: c.status, payloadTruncated: c.truncated, replayCount: typeof c.count === "number" ? c.count : 0, destination: c.dest ? "shop.orders" : null },
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
