import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collectorsEnv, config, CuttableProxy, freePort, freshDatabase, healthz, runTs, source, waitUntil, type RunningProcess } from "./helpers";

describe("collectors process", () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  beforeAll(async () => {
    db = await freshDatabase("switchyard_coll");
  });
  afterAll(async () => db?.drop());

  it("reports broken sources unhealthy with a clear error, keeps running, and stops cleanly on SIGTERM", async () => {
    const rabbit = config.RABBITMQ_BROKERS[0]!;
    const env = await collectorsEnv({
      DATABASE_URL: db.url,
      KAFKA_CLUSTERS: `local=${config.KAFKA_CLUSTERS[0]!.brokers.join(",")};gone=127.0.0.1:${await freePort()}`,
      RABBITMQ_BROKERS: `local=${rabbit.amqpUrl}|${rabbit.managementUrl};badpw=amqp://guest:wrong@127.0.0.1:5672|http://127.0.0.1:15672`,
    });
    const p = runTs("collectors/main.ts", env);
    try {
      const h = await waitUntil(
        "every source checked",
        async () => {
          const h = await healthz(env);
          return h.sources.every((s) => s.error !== "not checked yet") ? h : null;
        },
        60_000,
      );
      expect(source(h, "kafka", "local")).toMatchObject({ healthy: true });
      expect(source(h, "rabbitmq", "local")).toMatchObject({ healthy: true });
      expect(source(h, "postgres", "switchyard")).toMatchObject({ healthy: true });
      expect(source(h, "otlp", "http")).toMatchObject({ healthy: true });
      expect(source(h, "kafka", "gone")).toMatchObject({ healthy: false, error: expect.stringMatching(/connection refused/) });
      expect(source(h, "rabbitmq", "badpw")).toMatchObject({ healthy: false, error: expect.stringMatching(/access refused: wrong user or password/) });
      expect(JSON.stringify(h)).not.toContain("wrong@"); // credentials never reported

      // the same view lands in Postgres for the dashboard
      const c = new pg.Client({ connectionString: db.url });
      await c.connect();
      const rows = await waitUntil("health rows", async () => {
        const r = await c.query("select system, name, healthy, error from source_health order by system, name");
        return r.rows.length >= 6 ? r.rows : null;
      });
      await c.end();
      expect(rows.find((r) => r.name === "gone")).toMatchObject({ system: "kafka", healthy: false });
      // a reason is the publisher's text (x-first-death-reason): the metric's label keeps the known ones, else "other"
      const ins = new pg.Client({ connectionString: db.url });
      await ins.connect();
      await ins.query(
        `insert into dead_letters (system, source_name, vhost, source, dedup_key, payload, payload_size, reason)
         select 'rabbitmq', 'local', '/', 'it-metrics.dlq', 'k' || g, '\\x00'::bytea, 1, case when g = 1 then 'rejected' else 'card-' || g || '-' || repeat('R', 900) end
         from generate_series(1, 5) g`,
      );
      await ins.end();

      // still alive after several failed reconnects
      await new Promise((r) => setTimeout(r, 3000));
      expect(p.proc.exitCode).toBeNull();
      const metrics = await (await fetch(`http://127.0.0.1:${env.COLLECTORS_PORT}/metrics`)).text();
      expect(metrics).toMatch(/switchyard_source_up\{system="kafka",name="gone"\} 0/);
      expect(metrics).toMatch(/switchyard_source_reconnects_total\{system="kafka",name="gone"\} [1-9]/);
      const dl = metrics.split("\n").filter((l) => l.startsWith("switchyard_dead_letters{") && l.includes('source="it-metrics.dlq"'));
      expect(dl.sort()).toEqual([
        'switchyard_dead_letters{system="rabbitmq",source="it-metrics.dlq",reason="other",status="new"} 4',
        'switchyard_dead_letters{system="rabbitmq",source="it-metrics.dlq",reason="rejected",status="new"} 1',
      ]);

      const started = Date.now();
      const r = await p.stop("SIGTERM");
      expect(r.code).toBe(0);
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(p.output()).toContain("stopped");
    } finally {
      await p.stop("SIGKILL");
    }
  });

  it("reconnects to a broker it lost, with backoff", async () => {
    const proxy = new CuttableProxy(await freePort(), { host: "127.0.0.1", port: 5672 });
    await proxy.open();
    const env = await collectorsEnv({
      DATABASE_URL: db.url,
      KAFKA_CLUSTERS: `local=${config.KAFKA_CLUSTERS[0]!.brokers.join(",")}`,
      RABBITMQ_BROKERS: `viaproxy=amqp://guest:guest@127.0.0.1:${proxy.port}|http://127.0.0.1:15672`,
    });
    let p: RunningProcess | undefined;
    try {
      p = runTs("collectors/main.ts", env);
      const healthy = async () => source(await healthz(env), "rabbitmq", "viaproxy")?.healthy;
      await waitUntil("healthy through the proxy", healthy, 30_000);
      await proxy.cut();
      const lost = await waitUntil("loss noticed", async () => {
        const s = source(await healthz(env), "rabbitmq", "viaproxy");
        return s && !s.healthy ? s : null;
      }, 15_000);
      expect(lost.error).toMatch(/connection closed|connection refused|ECONNRESET/i);
      await new Promise((r) => setTimeout(r, 2000)); // a few failed attempts while it is gone
      await proxy.open();
      await waitUntil("healthy again after the broker came back", healthy, 45_000);
      expect(p.output()).toMatch(/\[rabbitmq:viaproxy\] unhealthy[\s\S]*\[rabbitmq:viaproxy\] healthy/);
    } finally {
      await p?.stop();
      await proxy.cut();
    }
  });

  it("refuses to start on bad configuration and names the variable", async () => {
    const env = await collectorsEnv({ RABBITMQ_BROKERS: "main=http://guest:secret@127.0.0.1:5672", KAFKA_CLUSTERS: "main=nohostport" });
    const p = runTs("collectors/main.ts", env);
    const r = await p.exited;
    expect(r.code).toBe(78);
    expect(p.output()).toMatch(/RABBITMQ_BROKERS: broker 'main'.*not an amqp:\/\/ or amqps:\/\/ URL/);
    expect(p.output()).toMatch(/KAFKA_CLUSTERS: cluster 'main': broker 'nohostport' is not host:port/);
    expect(p.output()).not.toContain("secret");
  });
});
