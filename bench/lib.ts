import { spawn, type ChildProcess } from "node:child_process";
import http from "node:http";
import path from "node:path";
import pg from "pg";
import { createDb, type DbHandle } from "../db/client";
import { runMigrations } from "../db/migrate";

/** A migrated database of the benchmark's own, beside the configured one; `drop` removes it, `release` keeps it (closing the connections). */
export async function benchDatabase(databaseUrl: string, run: string): Promise<{ handle: DbHandle; url: string; drop: () => Promise<void>; release: () => Promise<void> }> {
  const name = `switchyard_bench_${run}`;
  const adminUrl = new URL(databaseUrl);
  adminUrl.pathname = "/postgres";
  const admin = new pg.Client({ connectionString: adminUrl.toString() });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const url = new URL(databaseUrl);
  url.pathname = `/${name}`;
  await runMigrations(url.toString());
  if (process.env.BENCH_SQL) {
    const c = new pg.Client({ connectionString: url.toString() });
    await c.connect();
    try {
      await c.query(process.env.BENCH_SQL);
    } finally {
      await c.end();
    }
  }
  const handle = createDb(url.toString(), { max: 3 });
  return {
    handle,
    url: url.toString(),
    drop: async () => {
      await handle.close();
      await admin.query(`drop database ${name} with (force)`);
      await admin.end();
    },
    release: async () => {
      await handle.close();
      await admin.end();
    },
  };
}

/**
 * A database of the benchmark's own, by name, that later runs reuse: `handle` is null when it does not exist yet;
 * `create` makes it afresh (dropping what was there) and migrated. `admin` is a connection to `postgres`, to drop it.
 */
export async function keptDatabase(databaseUrl: string, name: string): Promise<{ admin: pg.Client; url: string; handle: DbHandle | null; create: () => Promise<DbHandle> }> {
  const adminUrl = new URL(databaseUrl);
  adminUrl.pathname = "/postgres";
  const admin = new pg.Client({ connectionString: adminUrl.toString() });
  await admin.connect();
  const u = new URL(databaseUrl);
  u.pathname = `/${name}`;
  const url = u.toString();
  const exists = (await admin.query("select 1 from pg_database where datname = $1", [name])).rowCount === 1;
  return {
    admin,
    url,
    handle: exists ? createDb(url, { max: 4 }) : null,
    create: async () => {
      await admin.query(`drop database if exists ${name} with (force)`);
      await admin.query(`create database ${name}`);
      await runMigrations(url);
      return createDb(url, { max: 4 });
    },
  };
}

/** The p-th percentile (nearest rank) of the samples. */
export const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? NaN;
};

/**
 * One export as the SDK's OTLP/HTTP exporter sends it: node's http.request through a keep-alive Agent
 * (@opentelemetry/otlp-exporter-base, platform/node/transport/http-transport-utils), the body written whole.
 */
export const otlpAgent = new http.Agent({ keepAlive: true });
export function postExport(url: string, body: Uint8Array): Promise<{ status: number; retryAfter: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: "POST", agent: otlpAgent, headers: { "content-type": "application/x-protobuf", "content-length": body.length } }, (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers["retry-after"] }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** A collectors process (no brokers) on this database, its OTLP/HTTP receiver on `port`. */
export function spawnCollectors(url: string, port: number, opsPort: number, env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, ["--import", "tsx", path.join(__dirname, "..", "collectors", "main.ts")], {
    env: { ...process.env, DATABASE_URL: url, KAFKA_CLUSTERS: "", RABBITMQ_BROKERS: "", OTLP_HTTP_PORT: String(port), OTLP_GRPC_PORT: String(port + 1), COLLECTORS_PORT: String(opsPort), ...env },
    stdio: ["ignore", "ignore", "inherit"],
  });
}

/** Resolves once the receiver at `endpoint` takes an (empty) export. */
export async function receiverUp(endpoint: string): Promise<void> {
  for (let i = 0; ; i++) {
    if (await fetch(endpoint, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" }).then((r) => r.ok, () => false)) return;
    if (i > 200) throw new Error(`collectors at ${endpoint} did not start`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** Sends the exports by `exporters` concurrent exporters, each 503 retried after its Retry-After; how many were refused. */
export async function ingestExports(endpoint: string, bodies: Uint8Array[], exporters = 4): Promise<number> {
  let next = 0;
  let refused = 0;
  const worker = async () => {
    for (let i = next++; i < bodies.length; i = next++) {
      for (;;) {
        const r = await postExport(endpoint, bodies[i]!);
        if (r.status === 200) break;
        if (r.status !== 503) throw new Error(`export answered ${r.status}`);
        refused++;
        await new Promise((res) => setTimeout(res, Number(r.retryAfter ?? 1) * 1000));
      }
    }
  };
  await Promise.all(Array.from({ length: exporters }, worker));
  return refused;
}
