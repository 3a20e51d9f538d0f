import "server-only";
import { loadConfig, type Config } from "@/lib/config/env";
import { createDb, type DbHandle } from "@/db/client";

/** One config and one pool per server process (kept on globalThis so dev reloads do not leak pools). */
const g = globalThis as unknown as { __switchyard?: { config: Config; db: DbHandle } };

export function serverContext(): { config: Config; db: DbHandle } {
  if (!g.__switchyard) {
    const config = loadConfig();
    g.__switchyard = { config, db: createDb(config.DATABASE_URL, { max: 5, application: "switchyard-dashboard" }) };
  }
  return g.__switchyard;
}
