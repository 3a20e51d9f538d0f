import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

/**
 * Debian's Prometheus and Alertmanager for the tests that need the real ones: installed from Debian's packages when
 * the machine lacks them (as .ci/run also does up front), each started by the test on a port of its own, with a
 * config and a data directory of its own, and stopped with it.
 */
export function ensureDebianPackage(binary: string, pkg: string): string {
  const bin = `/usr/bin/${binary}`;
  if (existsSync(bin)) return bin;
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  try {
    execFileSync("apt-get", ["install", "-y", "-qq", pkg], { env, stdio: "ignore", timeout: 300_000 });
  } catch {
    execFileSync("apt-get", ["update", "-qq"], { env, stdio: "ignore", timeout: 300_000 });
    execFileSync("apt-get", ["install", "-y", "-qq", pkg], { env, stdio: "ignore", timeout: 300_000 });
  }
  if (!existsSync(bin)) throw new Error(`${pkg} installed, but ${bin} is not there`);
  return bin;
}

export interface RunningTool {
  url: string;
  proc: ChildProcess;
  output: () => string;
  stop: () => Promise<void>;
}

async function started(name: string, url: string, readyPath: string, proc: ChildProcess, out: () => string): Promise<RunningTool> {
  for (let i = 0; i < 150; i++) {
    if (proc.exitCode !== null) throw new Error(`${name} exited (${proc.exitCode}): ${out().slice(-2000)}`);
    if (await fetch(url + readyPath).then((r) => r.ok, () => false)) {
      return {
        url,
        proc,
        output: out,
        stop: async () => {
          if (proc.exitCode !== null) return;
          proc.kill("SIGTERM");
          await new Promise((r) => proc.once("exit", r));
        },
      };
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  proc.kill("SIGKILL");
  throw new Error(`${name} did not become ready at ${url}${readyPath}: ${out().slice(-2000)}`);
}

function launch(bin: string, args: string[]): { proc: ChildProcess; out: () => string } {
  const proc = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  proc.stdout!.on("data", (d) => (out = (out + d).slice(-20_000)));
  proc.stderr!.on("data", (d) => (out = (out + d).slice(-20_000)));
  return { proc, out: () => out };
}

/** A Prometheus scraping `targets` (host:port, path /metrics) every `scrapeSeconds`. */
export async function startPrometheus(port: number, targets: string[], scrapeSeconds = 1, ruleFiles: string[] = []): Promise<RunningTool> {
  const bin = ensureDebianPackage("prometheus", "prometheus");
  const dir = mkdtempSync(path.join(os.tmpdir(), "sy-prom-"));
  const config = [
    "global:",
    `  scrape_interval: ${scrapeSeconds}s`,
    `  evaluation_interval: ${scrapeSeconds}s`,
    ...(ruleFiles.length ? ["rule_files:", ...ruleFiles.map((f) => `  - ${JSON.stringify(f)}`)] : []),
    "scrape_configs:",
    "  - job_name: switchyard-collectors",
    "    static_configs:",
    `      - targets: [${targets.map((t) => JSON.stringify(t)).join(", ")}]`,
  ].join("\n");
  writeFileSync(path.join(dir, "prometheus.yml"), config + "\n");
  const { proc, out } = launch(bin, [`--config.file=${path.join(dir, "prometheus.yml")}`, `--storage.tsdb.path=${path.join(dir, "data")}`, `--web.listen-address=127.0.0.1:${port}`]);
  return started("prometheus", `http://127.0.0.1:${port}`, "/-/ready", proc, out);
}

/** An Alertmanager that routes everything to one receiver with no notifications (alerts are read back by API). */
export async function startAlertmanager(port: number, clusterPort: number): Promise<RunningTool> {
  const bin = ensureDebianPackage("prometheus-alertmanager", "prometheus-alertmanager");
  const dir = mkdtempSync(path.join(os.tmpdir(), "sy-am-"));
  writeFileSync(path.join(dir, "alertmanager.yml"), ["route:", "  receiver: none", "  group_wait: 1s", "receivers:", "  - name: none", ""].join("\n"));
  const { proc, out } = launch(bin, [
    `--config.file=${path.join(dir, "alertmanager.yml")}`,
    `--storage.path=${path.join(dir, "data")}`,
    `--web.listen-address=127.0.0.1:${port}`,
    `--cluster.listen-address=127.0.0.1:${clusterPort}`,
  ]);
  return started("alertmanager", `http://127.0.0.1:${port}`, "/-/ready", proc, out);
}
