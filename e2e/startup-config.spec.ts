import { spawn } from "node:child_process";
import { expect, test } from "@playwright/test";

/** The dashboard checks its configuration when it starts, not on the first request. */
test("a dashboard with a bad configuration refuses to start, naming the variable, without echoing its password", async () => {
  const secret = "p@ss w/rd:x";
  const proc = spawn("node_modules/.bin/next", ["start", "-p", "3199"], {
    env: { ...process.env, DATABASE_URL: `postgres://app:${secret}@127.0.0.1:5432/x`, KAFKA_POLL_INTERVAL_MS: "not-a-number" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  proc.stdout.on("data", (d) => (out += d));
  proc.stderr.on("data", (d) => (out += d));
  const code = await new Promise<number | null>((resolve) => {
    const t = setTimeout(() => {
      proc.kill("SIGKILL");
      resolve(null);
    }, 30_000);
    proc.on("exit", (c) => {
      clearTimeout(t);
      resolve(c);
    });
  });
  expect(code, out).toBe(78);
  expect(out).toContain("KAFKA_POLL_INTERVAL_MS");
  expect(out).not.toContain(secret);
  expect(out).not.toContain("w/rd");
});
