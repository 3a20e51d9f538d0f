import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { waitUntil } from "./helpers";

/** Running: a process that has exited but was not reaped yet (a zombie, where nothing reaps orphans) is not. */
const alive = (pid: number) => {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
};

describe("the demo's process supervisor (scripts/lib/procs.ts)", () => {
  const left: number[] = [];
  afterEach(() => {
    for (const pid of left.splice(0)) if (alive(pid)) process.kill(pid, "SIGKILL");
  });

  it("killed with SIGKILL, leaves no child running: each stops itself in order (its SIGTERM handler runs)", async () => {
    const stopped = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "switchyard-procs-")), "stopped");
    const sup = spawn(process.execPath, ["--import", "tsx", path.join(__dirname, "fixtures", "supervisor.ts")], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, STOPPED_FILE: stopped } });
    let out = "";
    sup.stdout.on("data", (d) => (out += d));
    sup.stderr.on("data", (d) => (out += d));
    const pids = await waitUntil("both children's pids", async () => {
      const p = [...out.matchAll(/-child\s*(?:\x1b\[0m)?\| pid (\d+)/g)].map((m) => Number(m[1]));
      return p.length === 2 ? p : undefined;
    }, 30_000);
    left.push(...pids);
    expect(pids.every(alive)).toBe(true);
    sup.kill("SIGKILL");
    await waitUntil("the children gone", async () => pids.every((p) => !alive(p)) || undefined, 10_000, 200);
    // stopped as on SIGTERM, not killed: each wrote its line (the tsx child's SIGTERM relayed by tsx's CLI)
    expect(fs.readFileSync(stopped, "utf8").split("\n").filter(Boolean).sort()).toEqual(pids.map((p) => `stopped ${p}`).sort());
  }, 60_000);
});
