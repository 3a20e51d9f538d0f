import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type DbHandle } from "../../db/client";
import { runMigrations } from "../../db/migrate";
import { backfillFailureGroups, storeDeadLetters, type NewDeadLetter } from "../../db/queries/dead-letter-store";
import { failureGroupTrends, listDeadLetters, listFailureGroups } from "../../db/queries/dead-letters";
import { deadLetters } from "../../db/schema";
import { freshDatabase } from "./helpers";

/** Failure groups on the real Postgres: given at capture, given later to older rows, counted per group and status. */
describe("failure groups", () => {
  let fresh: Awaited<ReturnType<typeof freshDatabase>>;
  let h: DbHandle;
  let n = 0;
  const row = (over: Partial<NewDeadLetter>): NewDeadLetter => ({
    system: "kafka",
    sourceName: "local",
    vhost: null,
    source: "shop.orders.DLT",
    dedupKey: `k${n++}`,
    payload: Buffer.from("{"),
    payloadSize: 1,
    headers: {},
    properties: {},
    originalDestination: "shop.orders",
    reason: "exception",
    errorType: "org.springframework.kafka.listener.ListenerExecutionFailedException",
    lastDeadAt: new Date(Date.now() - 60_000),
    ...over,
  });

  beforeAll(async () => {
    fresh = await freshDatabase("switchyard_groups");
    await runMigrations(fresh.url);
    h = createDb(fresh.url, { max: 4 });
  });
  afterAll(async () => {
    await h?.close();
    await fresh?.drop();
  });

  it("groups at capture by destination, reason, root exception type and masked message; identical dead letters all count", async () => {
    const cause = { "kafka_dlt-exception-cause-fqcn": "com.shop.InvalidOrderException" };
    await storeDeadLetters(h.db, [
      ...Array.from({ length: 30 }, (_, i) => row({ headers: cause, errorMessage: `order ord-${i} is not valid JSON at position ${50 + i}` })),
      // 5 byte-identical ones (same message, same payload) are 5 dead letters of the group
      ...Array.from({ length: 5 }, () => row({ headers: cause, errorMessage: "order ord-1 is not valid JSON at position 51" })),
      ...Array.from({ length: 4 }, (_, i) => row({ headers: cause, errorMessage: `order ord-${i} is not valid JSON at position 5`, originalDestination: "shop.refunds" })),
      row({ errorType: "java.lang.IllegalStateException", errorMessage: "stock <script>x</script> \u0000 gone" }),
    ]);
    const groups = await listFailureGroups(h.db, { limit: 10 });
    expect(groups.map((g) => [g.count, g.originalDestination, g.errorType, g.message])).toEqual([
      [35, "shop.orders", "com.shop.InvalidOrderException", "order <id> is not valid JSON at position <n>"],
      [4, "shop.refunds", "com.shop.InvalidOrderException", "order <id> is not valid JSON at position <n>"],
      [1, "shop.orders", "java.lang.IllegalStateException", "stock <script>x</script> \uFFFD gone"],
    ]);
    expect(groups[0]!.new).toBe(35);
    const members = await listDeadLetters(h.db, { group: groups[0]!.id, limit: 100 });
    expect(members).toHaveLength(35);
  });

  it("counts statuses and narrows by the list's filters", async () => {
    const [g] = await listFailureGroups(h.db, { limit: 1 });
    await h.db.execute(sql`update dead_letters set status = 'discarded' where id in (select id from dead_letters where failure_group = ${g!.id} order by id limit 3)`);
    const [again] = await listFailureGroups(h.db, { limit: 1 });
    expect([again!.new, again!.discarded]).toEqual([32, 3]);
    expect((await listFailureGroups(h.db, { status: "discarded", limit: 10 })).map((x) => x.count)).toEqual([3]);
    expect(await listFailureGroups(h.db, { q: "stock", limit: 10 })).toHaveLength(1);
  });

  it("trends count deaths per hour bucket", async () => {
    const [g] = await listFailureGroups(h.db, { limit: 1 });
    const from = new Date(Date.now() - 3 * 3600_000);
    const t = await failureGroupTrends(h.db, [g!.id], from, 3600_000);
    expect(t.reduce((a, r) => a + r.n, 0)).toBe(35);
    expect(t.every((r) => r.b >= 0 && r.b <= 3)).toBe(true);
  });

  it("gives groups to rows stored before groups existed, in batches, and stops when none is left", async () => {
    await h.db.insert(deadLetters).values(Array.from({ length: 7 }, (_, i) => ({ ...row({ errorMessage: `order ord-${i} is not valid JSON at position ${i}`, headers: { "kafka_dlt-exception-cause-fqcn": "com.shop.InvalidOrderException" } }) })));
    const before = await h.db.execute<{ n: number }>(sql`select count(*)::int as n from dead_letters where failure_group is null`);
    expect(before.rows[0]!.n).toBe(7);
    expect(await backfillFailureGroups(h.db, 3)).toBe(3);
    expect(await backfillFailureGroups(h.db, 3)).toBe(3);
    expect(await backfillFailureGroups(h.db, 3)).toBe(1);
    expect(await backfillFailureGroups(h.db, 3)).toBe(0);
    const [g] = await listFailureGroups(h.db, { limit: 1 });
    expect(g!.count).toBe(42);
  });
});
