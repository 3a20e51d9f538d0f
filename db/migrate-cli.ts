import { loadConfig, redactUrls } from "../lib/config/env";
import { ensureDatabase, runMigrations } from "./migrate";

async function main() {
  const { DATABASE_URL } = loadConfig();
  if (await ensureDatabase(DATABASE_URL)) console.log(`created database ${new URL(DATABASE_URL).pathname.slice(1)}`);
  await runMigrations(DATABASE_URL);
  console.log(`migrations applied to ${redactUrls(DATABASE_URL)}`);
}

main().catch((e: unknown) => {
  console.error(`migration failed: ${redactUrls(e instanceof Error ? e.message : String(e))}`);
  process.exit(1);
});
