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

async function promQuery(q: string, atSeconds?: number): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const r = await fetch(`${prom.url}/api/v1/query?query=${encodeURIComponent(q)}${atSeconds === undefined ? "" : `&time=${atSeconds}`}`);
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
  // A scrape that failed (Prometheus's timeout is the 1 s interval: a loaded machine's collectors can miss it) marks
  // every series stale, so a query finds none: then a scrape of the last 3 s must have failed, and the query is made
  // again; a series missing after good scrapes fails the test
  const present = async (q: string, now: number, attempt: number) => {
    const found = await promQuery(q, now);
    if (found.length > 0) return found;
    const up = await promQuery(`min_over_time(up{job="switchyard-collectors"}[3s])`, now);
    expect(up[0]?.value[1], `${q} found nothing though every scrape of the last 3 s succeeded`).toBe("0");
    expect(attempt, `scrapes failing for 10 s (${q})`).toBeLessThan(10);
    await new Promise((r) => setTimeout(r, 1000));
    return null;
  };
  // PromQL's figure with the API's just before and just after it, and the age of the scrape it comes from (both
  // queries evaluated at one instant)
  const sample = async (): Promise<{ before: number; promValue: number; after: number; scrapeAge: number }> => {
    for (let attempt = 1; ; attempt++) {
      const before = (await api())!;
      const now = Date.now() / 1000;
      const found = await present(query, now, attempt);
      const at = found && (await present(`max(timestamp(${query.replace(/^max\((.*)\)$/, "$1")}))`, now, attempt));
      const after = (await api())!;
      if (found && at) return { before, promValue: Number(found[0]!.value[1]), after, scrapeAge: Math.max(0, now - Number(at[0]!.value[1])) };
    }
  };
  for (let i = 0; i < 3; i++) {
    // a poll may land between the two API reads, so PromQL's figure lies between them, give or take one poll, one
    // second of the metrics' cache, one more for timing, and the age of the scrape it comes from
    const { before, promValue, after, scrapeAge } = await sample();
    const slack = pollSeconds + 1 + 1 + scrapeAge;
    expect(promValue, `PromQL ${promValue} s; the API ${before} s then ${after} s`).toBeGreaterThanOrEqual(Math.min(before, after) - slack);
    expect(promValue, `PromQL ${promValue} s; the API ${before} s then ${after} s`).toBeLessThanOrEqual(Math.max(before, after) + slack);
    await new Promise((r) => setTimeout(r, 2500));
  }
  // the status as a labelled gauge, the one it has at 1
  let status: Awaited<ReturnType<typeof promQuery>> | null = null;
  for (let attempt = 1; !status; attempt++) status = await present(`switchyard_kafka_consumergroup_status{cluster="local",group="${slow}"} == 1`, Date.now() / 1000, attempt);
  expect(status).toHaveLength(1);
  expect(groupStatuses).toContain(status[0]!.metric.status);
});
