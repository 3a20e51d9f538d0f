import { eq, inArray } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type DbHandle } from "../../db/client";
import { runMigrations } from "../../db/migrate";
import { discardDeadLetters } from "../../db/mutations/discard-dead-letters";
import { restoreDeadLetters } from "../../db/mutations/restore-dead-letters";
import { signIn } from "../../db/mutations/sign-in";
import { signOut } from "../../db/mutations/sign-out";
import { listAudit, recordAudit } from "../../db/queries/audit";
import { auditLog, deadLetters } from "../../db/schema";
import type { Actor } from "../../lib/audit";
import { tokenFingerprint } from "../../lib/auth/identity";
import { ConflictError, NotFoundError, UnauthenticatedError } from "../../lib/errors";
import { freshDatabase } from "./helpers";

/** The mutations outside Next.js, on the real Postgres: each one transaction with its audit entry, typed errors. */
describe("mutations and the audit log", () => {
  let fresh: Awaited<ReturnType<typeof freshDatabase>>;
  let h: DbHandle;
  const actor: Actor = { user: "otto", role: "operator", requestId: "req-12345678", clientAddress: "10.0.0.7" };
  let n = 0;
  const insert = async (count: number, status = "new") =>
    (
      await h.db
        .insert(deadLetters)
        .values(Array.from({ length: count }, () => ({ system: "kafka", sourceName: "local", source: "a.DLT", dedupKey: `k${n++}`, payload: Buffer.from("{}"), payloadSize: 2, status })))
        .returning({ id: deadLetters.id })
    ).map((r) => r.id);

  beforeAll(async () => {
    fresh = await freshDatabase("switchyard_audit");
    await runMigrations(fresh.url);
    h = createDb(fresh.url, { max: 4 });
  });
  afterAll(async () => {
    await h?.close();
    await fresh?.drop();
  });

  it("discard changes only legal transitions and writes one audit entry with the counts, in the same transaction", async () => {
    const ids = await insert(3);
    const [busy] = await insert(1, "replaying");
    const r = await discardDeadLetters(h.db, { selection: { ids: [...ids, ids[0]!, busy!, 987654321] }, reason: "poison <b>x</b>" }, actor);
    expect(r).toEqual({ changed: 3, ids, skipped: 1, skippedIds: [{ id: busy, status: "replaying" }], missing: [987654321] });
    const rows = await h.db.select({ id: deadLetters.id, status: deadLetters.status }).from(deadLetters).where(inArray(deadLetters.id, [...ids, busy!]));
    expect(Object.fromEntries(rows.map((x) => [x.id, x.status]))).toEqual({ [ids[0]!]: "discarded", [ids[1]!]: "discarded", [ids[2]!]: "discarded", [busy!]: "replaying" });
    const [entry] = await listAudit(h.db, { action: "dead_letters.discard", limit: 10 });
    expect(entry).toMatchObject({ actor: "otto", role: "operator", outcome: "ok", requestId: "req-12345678", clientAddress: "10.0.0.7", details: { reason: "poison <b>x</b>", selection: { count: 6 }, discarded: 3, skipped: 1, missing: 1 } });
  });

  it("an illegal transition of one id is a ConflictError and changes nothing, audit included", async () => {
    const [id] = await insert(1, "discarded");
    const before = (await h.db.select().from(auditLog)).length;
    await expect(discardDeadLetters(h.db, { selection: { ids: [id!] }, reason: "r" }, actor)).rejects.toBeInstanceOf(ConflictError);
    await expect(discardDeadLetters(h.db, { selection: { ids: [123456789] }, reason: "r" }, actor)).rejects.toBeInstanceOf(NotFoundError);
    expect((await h.db.select().from(auditLog)).length).toBe(before);
  });

  it("discards a failure group or a filter in Postgres, and restore brings them back as new", async () => {
    const ids = await insert(4);
    await h.db.update(deadLetters).set({ failureGroup: "00000000000000aa" }).where(inArray(deadLetters.id, ids.slice(0, 3)));
    const g = await discardDeadLetters(h.db, { selection: { groupId: "00000000000000aa" }, reason: "known bad batch" }, actor);
    expect([g.changed, g.skipped]).toEqual([3, 0]);
    const again = await discardDeadLetters(h.db, { selection: { groupId: "00000000000000aa" }, reason: "twice" }, actor);
    expect([again.changed, again.skipped]).toEqual([0, 3]);
    const [row] = await h.db.select().from(deadLetters).where(eq(deadLetters.id, ids[0]!));
    expect(row).toMatchObject({ status: "discarded", statusReason: "known bad batch", statusChangedBy: "otto" });
    const f = await discardDeadLetters(h.db, { selection: { filter: { source: "a.DLT", status: "new" } }, reason: "all new ones" }, actor);
    expect(f.ids).toContain(ids[3]);
    const r = await restoreDeadLetters(h.db, { selection: { ids } }, actor);
    expect([r.changed, r.skipped]).toEqual([4, 0]);
    await expect(restoreDeadLetters(h.db, { selection: { ids: [ids[0]!] } }, actor)).rejects.toBeInstanceOf(ConflictError);
    const [back] = await h.db.select().from(deadLetters).where(eq(deadLetters.id, ids[0]!));
    expect(back).toMatchObject({ status: "new", statusReason: null });
    const log = await listAudit(h.db, { action: "dead_letters.restore", limit: 5 });
    expect(log[0]).toMatchObject({ outcome: "ok", details: { restored: 4, selection: { count: 4 } } });
  });

  it("a change whose audit entry cannot be written is rolled back with it", async () => {
    const [id] = await insert(1);
    // an entry the check constraint refuses stands for any failure to write the audit entry
    await expect(
      h.db.transaction(async (tx) => {
        await tx.update(deadLetters).set({ status: "discarded" }).where(eq(deadLetters.id, id!));
        await recordAudit(tx, { actor, action: "x", targetType: "dead_letter", outcome: "bogus" as "ok" });
      }),
    ).rejects.toThrow();
    const [row] = await h.db.select({ status: deadLetters.status }).from(deadLetters).where(eq(deadLetters.id, id!));
    expect(row!.status).toBe("new");
  });

  it("sign-in records the user on success and a denied attempt without the token; sign-out is recorded", async () => {
    const tokens = [{ user: "vera", role: "viewer" as const, token: "vera-token-123" }];
    const anon: Actor = { user: "anonymous", role: "none", requestId: "req-abcdefgh", clientAddress: "10.0.0.8" };
    const ok = await signIn(h.db, { mode: "token", tokens }, "vera-token-123", anon);
    expect(ok).toMatchObject({ user: "vera", role: "viewer", session: { user: "vera", tokenFp: tokenFingerprint("vera-token-123") } });
    const bad = await signIn(h.db, { mode: "token", tokens }, "guess-token-1", anon).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(UnauthenticatedError);
    expect((bad as UnauthenticatedError).audited).toBe(true);
    await expect(signIn(h.db, { mode: "open", tokens }, "vera-token-123", anon)).rejects.toBeInstanceOf(ConflictError);
    await signOut(h.db, { ...anon, user: "vera", role: "viewer" });
    const log = await listAudit(h.db, { targetType: "session", limit: 10 });
    expect(log.map((e) => [e.action, e.outcome, e.actor])).toEqual([
      ["session.sign_out", "ok", "vera"],
      ["session.sign_in", "denied", "anonymous"],
      ["session.sign_in", "ok", "vera"],
    ]);
    expect(JSON.stringify(log)).not.toContain("token-1");
  });

  it("the audit log is append-only: UPDATE, DELETE and TRUNCATE are refused by Postgres; a role outside the list too", async () => {
    await expect(h.db.update(auditLog).set({ outcome: "ok" })).rejects.toThrow();
    await expect(h.db.delete(auditLog)).rejects.toThrow();
    await expect(h.pool.query("truncate audit_log")).rejects.toThrow(/append-only/);
    await expect(recordAudit(h.db, { actor: { ...actor, role: "root" }, action: "x", targetType: "y", outcome: "ok" })).rejects.toThrow();
    expect((await h.db.select().from(auditLog)).length).toBeGreaterThan(0);
  });

  it("pages newest first on (at, id): entries sharing a millisecond are each on exactly one page", async () => {
    const at = new Date("2026-11-30T10:00:00.123Z");
    await h.db.insert(auditLog).values(Array.from({ length: 25 }, (_, i) => ({ at, actor: "pager", role: "viewer", action: "read", targetType: "api", targetId: `/p/${i}`, outcome: "denied" })));
    const seen: number[] = [];
    let after: { at: string; id: number } | undefined;
    for (let page = 0; page < 10; page++) {
      const rows = await listAudit(h.db, { actor: "pager", after, limit: 7 });
      if (!rows.length) break;
      seen.push(...rows.map((r) => r.id));
      const last = rows[rows.length - 1]!;
      after = { at: last.at.toISOString(), id: last.id };
    }
    expect(seen).toHaveLength(25);
    expect(new Set(seen).size).toBe(25);
    expect([...seen].sort((a, b) => b - a)).toEqual(seen);
  });
});
