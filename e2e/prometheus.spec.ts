import { expect, test } from "@playwright/test";
import { groupStatuses } from "../lib/kafka/group-health";
import { startPrometheus, type RunningTool } from "../tests/integration/debian-tools";

/**
 * The real Prometheus (Debian's) scraping this stack's collectors while the demo runs: PromQL's figure for the demo's
 * slow group's lag in seconds agrees with the API's within one poll (the stack polls Kafka every 2 s).
 */
const collectorsPort = process.env.E2E_COLLECTORS_PORT ?? "19464";
const promPort = Number(process.env.E2E_PROMETHEUS_PORT ?? 19090);
const slow = "shop-analytics-slow";
const pollSeconds = 2;

let prom: RunningTool;
test.beforeAll(async () => {
  prom = await startPrometheus(promPort, [`127.0.0.1:${collectorsPort}`], 1);
});
test.afterAll(async () => {
  await prom?.stop();
});

async function promQuery(q: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const r = await fetch(`${prom.url}/api/v1/query?query=${encodeURIComponent(q)}`);
  const body = (await r.json()) as { status: string; data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
  expect(body.status).toBe("success");
  return body.data.result;
}

test("PromQL's lag in seconds for the demo's slow group agrees with the API's within one poll", async ({ request }) => {
  test.setTimeout(120_000);
  const api = async (): Promise<number | null> => {
    const items: { cluster: string; groupId: string; maxLagSeconds: number | null }[] = (await (await request.get(`/api/v1/kafka/consumer-groups?q=${slow}`)).json()).items ?? [];
    return items.find((g) => g.cluster === "local" && g.groupId === slow)?.maxLagSeconds ?? null;
  };
  const query = `max(switchyard_kafka_consumergroup_lag_seconds{cluster="local",group="${slow}"})`;
  // the demo's slow group falls behind within its first minute
  await expect.poll(async () => (await api()) ?? 0, { timeout: 90_000, intervals: [2000] }).toBeGreaterThan(5);
  await expect.poll(async () => (await promQuery(query)).length, { timeout: 30_000, intervals: [1000] }).toBe(1);
  for (let i = 0; i < 3; i++) {
    // the API just before and just after the query: a poll may land between them, so PromQL's figure (one scrape
    // old at most) lies between the two, give or take one poll and one scrape
    const before = (await api())!;
    const promValue = Number((await promQuery(query))[0]!.value[1]);
    const after = (await api())!;
    const slack = pollSeconds + 1 + 1;
    expect(promValue, `PromQL ${promValue} s; the API ${before} s then ${after} s`).toBeGreaterThanOrEqual(Math.min(before, after) - slack);
    expect(promValue, `PromQL ${promValue} s; the API ${before} s then ${after} s`).toBeLessThanOrEqual(Math.max(before, after) + slack);
    await new Promise((r) => setTimeout(r, 2500));
  }
  // the status as a labelled gauge, the one it has at 1
  const status = await promQuery(`switchyard_kafka_consumergroup_status{cluster="local",group="${slow}"} == 1`);
  expect(status).toHaveLength(1);
  expect(groupStatuses).toContain(status[0]!.metric.status);
});
