import { randomUUID } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type DbHandle } from "../../db/client";
import { runMigrations } from "../../db/migrate";
import { claimPendingDeadLetters, clearPendingDeadLetters, confirmCaptured, storeDeadLetters, type NewDeadLetter, type RabbitQueueScope } from "../../db/queries/dead-letter-store";
import { freshDatabase } from "./helpers";

/** The pending-row queries the RabbitMQ capture uses to recognise a redelivery, on the real Postgres. */
const scope: RabbitQueueScope = { broker: "local", vhost: "v1", queue: "p.dlq" };
const row = (contentKey: string, extra: Partial<NewDeadLetter> = {}): NewDeadLetter => ({
  system: "rabbitmq",
  sourceName: scope.broker,
  vhost: scope.vhost,
  source: scope.queue,
  dedupKey: `${contentKey}#${randomUUID()}`,
  messageKey: null,
  payload: Buffer.from(contentKey),
  payloadSize: contentKey.length,
  headers: {},
  properties: {},
  deathCount: 1,
  capturePending: true,
  ...extra,
});

describe("pending dead letters", () => {
  let fresh: Awaited<ReturnType<typeof freshDatabase>>;
  let h: DbHandle;
  let c: pg.Client;
  beforeAll(async () => {
    fresh = await freshDatabase("switchyard_rpend");
    await runMigrations(fresh.url);
    h = createDb(fresh.url, { max: 2 });
    c = new pg.Client({ connectionString: fresh.url });
    await c.connect();
  });
  afterAll(async () => {
    await c?.end();
    await h?.close();
    await fresh?.drop();
  });

  const pendingIds = async () => (await c.query("select id::text from dead_letters where capture_pending order by id")).rows.map((r) => r.id as string);

  it("claims as many pending rows per content key as there are redeliveries, newest first, only in the same queue", async () => {
    const a = [row("sha256:a|1|q|1"), row("sha256:a|1|q|1"), row("sha256:a|1|q|1")];
    const b = row("sha256:b|1|q|1");
    const done = row("sha256:a|1|q|1", { capturePending: false });
    const otherVhost = row("sha256:a|1|q|1", { vhost: "v2" });
    const otherQueue = row("sha256:a|1|q|1", { source: "other.dlq" });
    // a content key that is a prefix of another must not match it
    const longer = row("sha256:a|1|q|12");
    await storeDeadLetters(h.db, [...a, b, done, otherVhost, otherQueue, longer]);
    const ids = (await c.query("select id::text, dedup_key from dead_letters order by id")).rows as { id: string; dedup_key: string }[];
    const idOf = (r: NewDeadLetter) => ids.find((x) => x.dedup_key === r.dedupKey)!.id;

    const claimed = await claimPendingDeadLetters(h.db, scope, new Map([["sha256:a|1|q|1", 2], ["sha256:b|1|q|1", 5], ["sha256:none|1|q|1", 1]]));
    expect(claimed.get("sha256:a|1|q|1")).toEqual([idOf(a[2]!), idOf(a[1]!)]);
    expect(claimed.get("sha256:b|1|q|1")).toEqual([idOf(b)]);
    expect(claimed.has("sha256:none|1|q|1")).toBe(false);
    // claiming changes nothing until the redelivery's ack is confirmed: a capture stopped now finds them again
    expect((await claimPendingDeadLetters(h.db, scope, new Map([["sha256:a|1|q|1", 2]]))).get("sha256:a|1|q|1")).toEqual([idOf(a[2]!), idOf(a[1]!)]);

    await confirmCaptured(h.db, scope, [a[0]!.dedupKey], claimed.get("sha256:a|1|q|1")!);
    expect(await pendingIds()).toEqual([idOf(b), idOf(otherVhost), idOf(otherQueue), idOf(longer)].sort((x, y) => Number(x) - Number(y)));
    expect(await claimPendingDeadLetters(h.db, scope, new Map([["sha256:a|1|q|1", 3]]))).toEqual(new Map());

    // the queue seen empty: what is left pending in it can never be claimed, and is cleared; other queues keep theirs
    expect(await clearPendingDeadLetters(h.db, scope)).toBe(2);
    expect(await pendingIds()).toEqual([idOf(otherVhost), idOf(otherQueue)].sort((x, y) => Number(x) - Number(y)));
  });
});
