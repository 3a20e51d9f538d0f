import { spawn, type ChildProcess } from "node:child_process";
import net from "node:net";
import path from "node:path";
import pg from "pg";
import { parseConfig } from "../../lib/config/env";

export const root = path.resolve(__dirname, "../..");
export const config = parseConfig(process.env);

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export async function waitUntil<T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs = 30_000, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ""}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A database of its own for a test file; dropped by the returned function. */
export async function freshDatabase(prefix = "switchyard_it"): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `${prefix}_${process.pid}_${Date.now().toString(36)}`;
  const admin = new URL(config.DATABASE_URL);
  admin.pathname = "/postgres";
  const c = new pg.Client({ connectionString: admin.toString() });
  await c.connect();
  await c.query(`create database ${name}`);
  await c.end();
  const url = new URL(config.DATABASE_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const d = new pg.Client({ connectionString: admin.toString() });
      await d.connect();
      await d.query(`drop database if exists ${name} with (force)`);
      await d.end();
    },
  };
}

export interface RunningProcess {
  proc: ChildProcess;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Runs a TypeScript entry point as its npm script does, with env overrides: the collectors with node and tsx's loader
 * (one process, signals reach it directly), the rest with the tsx CLI.
 */
export function runTs(entry: string, env: Record<string, string>): RunningProcess {
  const file = path.join(root, entry);
  const [command, args] = entry.startsWith("collectors/") ? [process.execPath, ["--import", "tsx", file]] : [path.join(root, "node_modules", ".bin", "tsx"), [file]];
  const proc = spawn(command, args, {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let out = "";
  proc.stdout!.on("data", (d) => (out += d));
  proc.stderr!.on("data", (d) => (out += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.on("exit", (code, signal) => resolve({ code, signal })));
  return {
    proc,
    output: () => out,
    exited,
    async stop(signal = "SIGTERM") {
      if (proc.exitCode === null && proc.signalCode === null) {
        try {
          process.kill(-proc.pid!, signal);
        } catch {
          /* gone */
        }
      }
      const t = setTimeout(() => {
        try {
          process.kill(-proc.pid!, "SIGKILL");
        } catch {
          /* gone */
        }
      }, 20_000);
      const r = await exited;
      clearTimeout(t);
      return r;
    },
  };
}

export interface Healthz {
  status: string;
  sources: { system: string; name: string; healthy: boolean; error: string | null }[];
}

/**
 * Environment for a collectors process of a test. Its dead-letter capture takes nothing from the shared brokers
 * unless the test names what to capture: a test that sets no RABBITMQ_DLQ_PATTERNS observes instead of draining
 * (a dead-letter queue is found from the topology too, whatever the patterns, and a running demo's queues would be
 * drained into the test's database), and one that sets no KAFKA_DLT_PATTERNS captures no topic.
 */
export async function collectorsEnv(extra: Record<string, string> = {}): Promise<Record<string, string>> {
  return {
    OTLP_HTTP_PORT: String(await freePort()),
    OTLP_GRPC_PORT: String(await freePort()),
    OTLP_HOST: "127.0.0.1",
    COLLECTORS_PORT: String(await freePort()),
    HEALTH_INTERVAL_MS: "1000",
    ...(extra.KAFKA_DLT_PATTERNS ? {} : { KAFKA_DLT_PATTERNS: `switchyard-test-none-${process.pid}` }),
    ...(extra.RABBITMQ_DLQ_PATTERNS ? {} : { RABBITMQ_DLQ_PATTERNS: `switchyard-test-none-${process.pid}`, RABBITMQ_DLQ_MODE: "observe" }),
    ...extra,
  };
}

export async function healthz(env: Record<string, string>): Promise<Healthz> {
  const r = await fetch(`http://127.0.0.1:${env.COLLECTORS_PORT}/healthz`);
  return (await r.json()) as Healthz;
}

export function source(h: Healthz, system: string, name: string) {
  return h.sources.find((s) => s.system === system && s.name === name);
}

/** A TCP proxy we can cut, to take a broker away from the collectors and give it back. */
export class CuttableProxy {
  private server: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();
  constructor(readonly port: number, private readonly target: { host: string; port: number }) {}
  open(): Promise<void> {
    this.server = net.createServer((client) => {
      const upstream = net.connect(this.target.port, this.target.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on("close", () => this.sockets.delete(s));
        s.on("error", () => s.destroy());
      }
      client.pipe(upstream).pipe(client);
    });
    return new Promise((r) => this.server!.listen(this.port, "127.0.0.1", () => r()));
  }
  async cut(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise((r) => (this.server ? this.server.close(r) : r(undefined)));
    this.server = null;
  }
}

