import pg from "pg";
import { createDb, type DbHandle } from "../db/client";
import { runMigrations } from "../db/migrate";

/** A migrated database of the benchmark's own, beside the configured one; `drop` removes it. */
export async function benchDatabase(databaseUrl: string, run: string): Promise<{ handle: DbHandle; url: string; drop: () => Promise<void> }> {
  const name = `switchyard_bench_${run}`;
  const adminUrl = new URL(databaseUrl);
  adminUrl.pathname = "/postgres";
  const admin = new pg.Client({ connectionString: adminUrl.toString() });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const url = new URL(databaseUrl);
  url.pathname = `/${name}`;
  await runMigrations(url.toString());
  const handle = createDb(url.toString(), { max: 3 });
  return {
    handle,
    url: url.toString(),
    drop: async () => {
      await handle.close();
      await admin.query(`drop database ${name} with (force)`);
      await admin.end();
    },
  };
}
