import type { DbHandle } from "../../db/client";
import { pingDb } from "../../db/queries/health";
import type { SourceDriver } from "../supervisor";

/** Postgres is reached through the shared pool; the check is a `select 1`. */
export function postgresDriver(handle: DbHandle): SourceDriver<DbHandle> {
  return {
    system: "postgres",
    name: "switchyard",
    async connect() {
      await pingDb(handle.db);
      return handle;
    },
    async check(h) {
      const started = Date.now();
      await pingDb(h.db);
      return { latencyMs: Date.now() - started, totalConnections: h.pool.totalCount };
    },
    async close() {
      /* the pool is closed on shutdown */
    },
  };
}
