import { Kafka, logLevel } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runMigrations } from "../../db/migrate";
import { collectorsEnv, config, freshDatabase, healthz, runTs, source, waitUntil, type RunningProcess } from "./helpers";

/**
 * Dead-letter capture that shares its consumer group with another consumer (a second Switchyard, a demo left running)
 * gets only part of the partitions: the Kafka source says so, naming the other client, while it lasts. A collectors
 * process killed a moment ago, still a member until its session runs out, is not reported.
 */
describe("Kafka dead-letter capture in a group another consumer shares", () => {
  const cluster = config.KAFKA_CLUSTERS[0]!;
  const kafka = new Kafka({ clientId: "it-dlt-shared", brokers: cluster.brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const run = Date.now().toString(36);
  const topic = `it-${run}.shared.DLT`;
  const group = `it-dlt-shared-${run}`;
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let env: Record<string, string>;
  const procs: RunningProcess[] = [];
  /** A collectors process's environment (ports of its own) capturing the topic in the group. */
  const envFor = () =>
    collectorsEnv({
      DATABASE_URL: db.url,
      KAFKA_CLUSTERS: `local=${cluster.brokers.join(",")}`,
      KAFKA_DLT_PATTERNS: topic,
      RABBITMQ_DLQ_PATTERNS: `it-${run}-none`,
      KAFKA_DLT_GROUP: group,
      KAFKA_POLL_INTERVAL_MS: "60000",
    });
  const shared = async () => source(await healthz(env), "kafka", "local")?.error ?? null;

  beforeAll(async () => {
    await admin.connect();
    db = await freshDatabase("switchyard_dlt_shared");
    await runMigrations(db.url);
    await admin.createTopics({ topics: [{ topic, numPartitions: 4 }], waitForLeaders: true });
    env = await envFor();
  });

  afterAll(async () => {
    for (const p of procs) await p.stop("SIGKILL");
    await admin.deleteGroups([group]).catch(() => undefined);
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
    await db?.drop();
  });

  const members = async () => (await admin.describeGroups([group])).groups[0]?.members.length ?? 0;

  it("reports another consumer in its group while it stays, not a second collectors process killed after 5 s", async () => {
    const first = runTs("collectors/main.ts", env);
    procs.push(first);
    await waitUntil("the first collectors in the group", async () => (await members()) === 1, 60_000, 500);
    // a second one (its own ports) joins, shares the group for 5 s and is killed: a member until its 10 s session
    // runs out, seen by the first for ~15 s in all, under the 25 s that would make it another consumer
    const second = runTs("collectors/main.ts", await envFor());
    procs.push(second);
    await waitUntil("both collectors in the group", async () => (await members()) === 2, 60_000, 500);
    await new Promise((r) => setTimeout(r, 5000));
    await second.stop("SIGKILL");
    const until = Date.now() + 40_000;
    while (Date.now() < until) {
      expect(await shared()).toBeNull();
      await new Promise((r) => setTimeout(r, 1000));
    }
    expect(await members()).toBe(1);

    const other = kafka.consumer({ groupId: group, sessionTimeout: 10_000, heartbeatInterval: 1000 });
    await other.connect();
    await other.subscribe({ topics: [topic] });
    await other.run({ eachMessage: async () => undefined });
    try {
      const error = await waitUntil(
        "the Kafka source to report the other consumer",
        async () => {
          const e = await shared();
          return e?.includes("shares consumer group") ? e : null;
        },
        90_000,
        1000,
      );
      expect(error).toContain(`shares consumer group ${group} with it-dlt-shared at `);
      expect(error).toContain("KAFKA_DLT_GROUP");
      expect(source(await healthz(env), "kafka", "local")?.healthy).toBe(false);
    } finally {
      await other.disconnect();
    }
    await waitUntil("the report gone with it", async () => (await shared()) === null, 60_000, 1000);
  }, 300_000);
});
