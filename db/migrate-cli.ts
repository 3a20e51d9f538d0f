import { loadConfig, redactUrls } from "../lib/config/env";
import { ensureDatabase, recreateTestDatabase, runMigrations } from "./migrate";

async function main() {
  const { DATABASE_URL } = loadConfig();
  // `--fresh-test-db`: a test database (name ending in _test) dropped and made again first (scripts/test.sh)
  if (process.argv.includes("--fresh-test-db")) {
    await recreateTestDatabase(DATABASE_URL);
    console.log(`recreated database ${new URL(DATABASE_URL).pathname.slice(1)}`);
  } else if (await ensureDatabase(DATABASE_URL)) console.log(`created database ${new URL(DATABASE_URL).pathname.slice(1)}`);
  await runMigrations(DATABASE_URL);
  console.log(`migrations applied to ${redactUrls(DATABASE_URL)}`);
}

main().catch((e: unknown) => {
  console.error(`migration failed: ${redactUrls(e instanceof Error ? e.message : String(e))}`);
  process.exit(1);
});
