import { drizzle, type NodePgDatabase } from "drizzle-orm/node-postgres";
import pg from "pg";
import * as schema from "./schema";

export type Db = NodePgDatabase<typeof schema>;

export interface DbHandle {
  db: Db;
  pool: pg.Pool;
  close(): Promise<void>;
}

export function createDb(url: string, opts: { max?: number; application?: string } = {}): DbHandle {
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.max ?? 10,
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30_000,
    application_name: opts.application ?? "switchyard",
  });
  // An idle client losing its connection (Postgres restarted) must not crash the process.
  pool.on("error", (err) => console.warn(`[db] idle connection error: ${err.message}`));
  // A checked-out client whose connection drops between two queries (inside a transaction, say) emits 'error' too,
  // and with no listener that ends the process. Its next query fails and that failure is what callers see and report.
  pool.on("connect", (client) => client.on("error", () => undefined));
  return { db: drizzle(pool, { schema }), pool, close: () => pool.end() };
}
