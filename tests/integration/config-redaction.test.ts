import { afterAll, describe, expect, it } from "vitest";
import { collectorsEnv, freePort, healthz, runTs, source, waitUntil, type RunningProcess } from "./helpers";

/**
 * The collectors process with a configuration that holds a password awkward for a pattern (`@`, a space, `/`, `:`):
 * whether the configuration is refused (exit 78) or accepted and its servers fail, no output and no health report
 * ever shows the password, raw or percent-encoded, nor a piece of it.
 */
const password = "p@ss w/rd:x";
const encoded = encodeURIComponent(password);
const pieces = [password, encoded, "p@ss", "ss w", "w/rd", "rd:x", "%40ss", "%2Frd"];
const run = `cfg${process.pid}${Date.now().toString(36)}`;

function expectNoPassword(text: string) {
  for (const p of pieces) expect(text, `output contains ${JSON.stringify(p)}`).not.toContain(p);
}

const running: RunningProcess[] = [];
afterAll(async () => {
  await Promise.all(running.map((p) => p.stop()));
});

async function collectors(extra: Record<string, string>): Promise<RunningProcess & { env: Record<string, string> }> {
  const env = {
    ...(await collectorsEnv()),
    // nothing of other tests' topics, queues or groups: this run's names only
    KAFKA_DLT_PATTERNS: `${run}.DLT`,
    RABBITMQ_DLQ_PATTERNS: `${run}.dlq`,
    KAFKA_GROUP_INCLUDE: `${run}-*`,
    ...extra,
  };
  const p = runTs("collectors/main.ts", env);
  running.push(p);
  return Object.assign(p, { env });
}

describe("configuration errors and driver errors never echo a password", () => {
  it("an AMQP URL that cannot be parsed because of its raw password: exit 78, named without the password", async () => {
    const p = await collectors({ RABBITMQ_BROKERS: `local=amqp://guest:${password}@127.0.0.1:5672|http://127.0.0.1:15672` });
    const { code } = await p.exited;
    expect(code).toBe(78);
    const out = p.output();
    expect(out).toContain("RABBITMQ_BROKERS: broker 'local'");
    expect(out).toContain("amqp://guest:***@127.0.0.1:5672");
    expectNoPassword(out);
  });

  it("several bad variables holding the password in URLs, raw and encoded: exit 78, each named, none echoes it", async () => {
    const p = await collectors({
      DATABASE_URL: `mysql://app:${password}@127.0.0.1:3306/db`,
      KAFKA_CLUSTERS: `local=sasl://app:${encoded}@127.0.0.1:9092`,
      RABBITMQ_BROKERS: `local=amqp://guest:${encoded}@127.0.0.1:5672|ftp://ops:${password}@127.0.0.1:15672`,
    });
    const { code } = await p.exited;
    expect(code).toBe(78);
    const out = p.output();
    for (const v of ["DATABASE_URL", "KAFKA_CLUSTERS", "RABBITMQ_BROKERS"]) expect(out).toContain(`${v}:`);
    expectNoPassword(out);
  });

  it("a valid configuration whose Postgres and RabbitMQ are unreachable: the errors in the log and on /healthz name no password", async () => {
    const env = {
      DATABASE_URL: `postgres://postgres:${encoded}@127.0.0.1:${await freePort()}/switchyard_${run}`,
      RABBITMQ_BROKERS: `local=amqp://guest:${encoded}@127.0.0.1:${await freePort()}|http://ops:${encoded}@127.0.0.1:${await freePort()}`,
    };
    const p = await collectors(env);
    const h = await waitUntil(
      "Postgres and RabbitMQ reported unhealthy with their errors",
      async () => {
        const r = await healthz(p.env);
        const pgs = r.sources.find((s) => s.system === "postgres");
        const rmq = source(r, "rabbitmq", "local");
        return pgs?.error && rmq?.error ? r : null;
      },
      60_000,
      500,
    );
    await waitUntil("a failed migration attempt in the log", async () => p.output().includes("[db] migrations not applied"), 60_000);
    await p.stop();
    expectNoPassword(JSON.stringify(h));
    expectNoPassword(p.output());
  });
});

