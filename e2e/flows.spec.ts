import { randomBytes } from "node:crypto";
import { expect, test } from "@playwright/test";

const otlp = `http://127.0.0.1:${process.env.E2E_OTLP_PORT ?? "14318"}/v1/traces`;
const hex = (n: number) => randomBytes(n).toString("hex");
const a = (key: string, v: string) => ({ key, value: { stringValue: v } });

/** A publish by a service with markup in its name to a destination with markup in its name. */
async function sendHostileFlow(tag: string) {
  const t = BigInt(Date.now() - 1000) * 1_000_000n;
  const body = {
    resourceSpans: [
      {
        resource: { attributes: [a("service.name", `e2e-${tag}-<b>svc</b>`)] },
        scopeSpans: [
          {
            spans: [
              {
                traceId: hex(16),
                spanId: hex(8),
                name: "publish",
                kind: 4,
                startTimeUnixNano: String(t),
                endTimeUnixNano: String(t + 3_000_000n),
                attributes: [a("messaging.system", "rabbitmq"), a("messaging.destination.name", `e2e-${tag}-<img src=x onerror="window.__pwned=1">`)],
              },
            ],
          },
        ],
      },
    ],
  };
  const r = await fetch(otlp, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  expect(r.status).toBe(200);
}

test("the flow map draws the demo's topology: coupling and intent on the edges, the slow group's lag on shop.orders", async ({ page, request }) => {
  // the API first: exactly the demo's edges (its five services and its shop.* topics, exchanges and queues; other
  // tests' traffic is left out by name): publishes, consumes (with the group the kafkajs spans leave out), routing
  // from the bindings, retries republished, and dead-lettering both ways (the inventory's own DLT publish, the DLQ
  // policy's exchange)
  const demoServices = new Set(["order-service", "inventory-service", "analytics-service", "payment-service", "notification-service"]);
  const demo = (n: string | undefined) => n !== undefined && (demoServices.has(n) || n.startsWith("shop."));
  await expect
    .poll(
      async () => {
        const g = await (await request.get("/api/v1/flows")).json();
        const name = new Map<string, string>(g.nodes.map((n: { id: string; name: string }) => [n.id, n.name]));
        return (g.edges as { source: string; target: string; kind: string; coupling: string; intent: string; group: string | null }[])
          .filter((e) => demo(name.get(e.source)) && demo(name.get(e.target)))
          .map((e) => `${e.kind} ${name.get(e.source)} -> ${name.get(e.target)} ${e.coupling}/${e.intent}${e.group ? ` ${e.group}` : ""}`)
          // the DLT's intent counts its consumer groups: other e2e tests read shop.orders.DLT too (then an event)
          .map((l) => l.replace(/^(publish inventory-service -> shop\.orders\.DLT async)\/(command|event)$/, "$1/command-or-event"))
          .sort();
      },
      { timeout: 60_000, intervals: [2000] },
    )
    .toEqual([
      "consume shop.notifications.email -> notification-service async/command",
      "consume shop.orders -> analytics-service async/event shop-analytics-slow",
      "consume shop.orders -> inventory-service async/event shop-inventory",
      "consume shop.payments.requests -> payment-service async/command",
      "dead_letter shop.orders -> shop.orders.DLT async/command",
      "dead_letter shop.payments.requests -> shop.payments.requests.dlq async/command",
      "publish inventory-service -> shop.orders.DLT async/command-or-event",
      "publish inventory-service -> shop.payments async/command",
      "publish order-service -> shop.orders async/event",
      "publish payment-service -> shop.notifications async/command",
      "publish payment-service -> shop.payments async/command",
      "route shop.dlx -> shop.payments.requests.dlq async/command",
      "route shop.notifications -> shop.notifications.email async/command",
      "route shop.payments -> shop.payments.requests async/command",
    ]);

  await page.goto("/flows");
  const orders = page.locator('[data-testid="flow-node"][data-node-id="kafka:shop.orders"]');
  await expect(orders).toBeVisible();
  await expect(orders).toContainText("shop-analytics-slow");
  // coloured by its groups' status: the box shows the health the API gives the node (the page refreshes every 10 s)
  await expect
    .poll(
      async () => {
        const api = (await (await request.get("/api/v1/flows")).json()).nodes.find((n: { id: string }) => n.id === "kafka:shop.orders")?.health;
        return (await orders.getAttribute("data-health")) === api ? api : `page ${await orders.getAttribute("data-health")}, API ${api}`;
      },
      { timeout: 30_000, intervals: [2000] },
    )
    .toMatch(/^(unknown|healthy|degraded|failing)$/);
  await expect(page.locator('[data-testid="flow-node"][data-node-id="service:order-service"]')).toBeVisible();
  // an edge label says how it couples and what it means
  await expect(page.getByText(/async · event · [\d.]+\/(s|min)/).first()).toBeVisible();

  // clicking the topic opens its lag; the selection is in the URL
  await orders.click();
  await expect(page).toHaveURL(/sel=kafka%3Ashop\.orders/);
  const panel = page.getByTestId("flow-panel");
  await expect(panel.getByTestId("flow-node-lag")).toContainText("shop-analytics-slow");
  await panel.getByRole("link", { name: "lag of shop-analytics-slow" }).click();
  await expect(page).toHaveURL(/\/kafka\/local\/shop-analytics-slow/);

  // focus: only what touches one service, through its brokers, kept in the URL
  await page.goto("/flows?focus=payment-service");
  await expect(page.locator('[data-testid="flow-node"][data-node-id="service:payment-service"]')).toBeVisible();
  await expect(page.locator('[data-testid="flow-node"][data-node-id="service:analytics-service"]')).toHaveCount(0);
});

test("names holding markup render as text on the map and in its panel", async ({ page }) => {
  const tag = hex(4);
  await sendHostileFlow(tag);
  await page.goto("/flows");
  const box = page.locator('[data-testid="flow-node"]', { hasText: `e2e-${tag}-<img` });
  await expect(box).toBeVisible({ timeout: 30_000 });
  await box.click();
  await expect(page.getByTestId("flow-panel")).toContainText(`e2e-${tag}-<img src=x onerror="window.__pwned=1">`);
  await expect(page.locator('[data-testid="flow-node"] img, [data-testid="flow-panel"] img, [data-testid="flow-node"] b')).toHaveCount(0);
  expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
});

test("the analysis page lists a synchronous chain that is too deep and a message processed twice", async ({ page }) => {
  const tag = hex(4);
  const t = BigInt(Date.now() - 2000) * 1_000_000n;
  const ns = (ms: number) => String(t + BigInt(ms) * 1_000_000n);
  const traceId = hex(16);
  const ids = Array.from({ length: 10 }, () => hex(8));
  const services = ["gw", "price", "stock", "wh", "bin"].map((s) => `e2e-${tag}-${s}`);
  const spans: Record<string, unknown[]> = {};
  const add = (svc: string, s: Record<string, unknown>) => (spans[svc] ??= []).push(s);
  add(services[0]!, { traceId, spanId: ids[0], name: "POST /checkout", kind: 2, startTimeUnixNano: ns(0), endTimeUnixNano: ns(90), attributes: [a("http.request.method", "POST")] });
  for (let i = 1; i < 5; i++) {
    add(services[i - 1]!, { traceId, spanId: ids[2 * i - 1], parentSpanId: ids[2 * i - 2], name: "GET", kind: 3, startTimeUnixNano: ns(i * 2), endTimeUnixNano: ns(80 - i * 10), attributes: [a("http.request.method", "GET")] });
    add(services[i]!, { traceId, spanId: ids[2 * i], parentSpanId: ids[2 * i - 1], name: `GET /${i}`, kind: 2, startTimeUnixNano: ns(i * 2 + 1), endTimeUnixNano: ns(79 - i * 10), attributes: [a("http.request.method", "GET")] });
  }
  const mid = `e2e-${tag}-message`;
  for (const at of [100, 300])
    add(`e2e-${tag}-mail`, { traceId: hex(16), spanId: hex(8), name: "process mail", kind: 5, startTimeUnixNano: ns(at), endTimeUnixNano: ns(at + 5), attributes: [a("messaging.system", "kafka"), a("messaging.destination.name", "mail"), a("messaging.message.id", mid)] });
  const body = { resourceSpans: Object.entries(spans).map(([svc, ss]) => ({ resource: { attributes: [a("service.name", svc)] }, scopeSpans: [{ spans: ss }] })) };
  expect((await fetch(otlp, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) })).status).toBe(200);

  await page.goto("/analysis?range=15m");
  const row = page.getByTestId("sync-chains").locator("tr", { hasText: services[0]! });
  await expect(row).toBeVisible({ timeout: 30_000 });
  await expect(row).toContainText("too deep");
  await expect(row).toContainText(services.join(" → "));
  await expect(page.getByTestId("duplicates").locator("tr", { hasText: mid })).toContainText(`e2e-${tag}-mail`);
});

test("the workflows page lists the demo's orders by state and opens a dead-lettered one with its evidence and steps", async ({ page, request }) => {
  // a declined payment is dead-lettered into shop.payments.requests.dlq: its order's workflow is dead-lettered
  await expect
    .poll(async () => ((await (await request.get("/api/v1/workflows?state=dead_lettered")).json()).items ?? []).filter((w: { deadLetterIds: number[] }) => w.deadLetterIds.length > 0).length, { timeout: 90_000, intervals: [3000] })
    .toBeGreaterThan(0);
  await page.goto("/workflows?state=dead_lettered");
  await expect(page.getByTestId("workflow-summary")).toBeVisible();
  const row = page.getByTestId("workflows-table").locator("tbody tr").first();
  await expect(row.getByTestId("workflow-state")).toHaveText("dead-lettered");
  await expect(row.getByRole("link", { name: /dead letter \d+/ }).first()).toBeVisible();
  await row.getByRole("link").first().click();
  await expect(page).toHaveURL(/\/workflows\/\d+$/);
  await expect(page.getByTestId("workflow-evidence")).toContainText("dead-lettered into");
  await expect(page.getByTestId("workflow-steps").locator("tbody tr").first()).toBeVisible();
  await page.getByTestId("workflow-evidence").getByRole("link", { name: /dead letter/ }).first().click();
  await expect(page).toHaveURL(/\/dead-letters\/\d+/);
});

test("a stuck order: pending in the slow group's lag past WORKFLOW_STUCK_AFTER (20 s here), listed as stuck, its trace one click away", async ({ page, request }) => {
  await expect
    .poll(async () => ((await (await request.get("/api/v1/workflows?stuck=true")).json()).items ?? []).length, { timeout: 120_000, intervals: [3000] })
    .toBeGreaterThan(0);
  const w = (await (await request.get("/api/v1/workflows?stuck=true")).json()).items[0];
  expect(["pending", "running"]).toContain(w.state);
  await page.goto("/workflows?stuck=true");
  const row = page.getByTestId("workflows-table").locator("tbody tr").first();
  await expect(row.getByTestId("workflow-stuck")).toBeVisible();
  await row.getByRole("link", { name: "trace" }).click();
  await expect(page).toHaveURL(/\/traces\/[0-9a-f]{32}/);
});

test("the workflows list filters by age and stacks its chart by name, and a pending order's 'waiting on' opens its group's lag page", async ({ page, request }) => {
  type W = { id: number; key: string; startedAt: string; waitingOn: { destination: string; group: string | null; cluster: string | null } | null };
  let waiting: W | undefined;
  await expect
    .poll(
      async () => {
        const items: W[] = (await (await request.get("/api/v1/workflows?state=pending&limit=200")).json()).items ?? [];
        // one waiting on the slow group: it stays behind, so the order still waits there when the page opens (one
        // waiting on a fast group may be consumed in between and then wait on the next group)
        waiting = items.find((w) => w.waitingOn?.group === "shop-analytics-slow" && w.waitingOn.cluster);
        return Boolean(waiting);
      },
      { timeout: 120_000, intervals: [3000] },
    )
    .toBe(true);
  // the API: olderThan keeps only workflows started longer ago; what is no duration is a 400 naming the parameter
  const asked = Date.now();
  const older: W[] = (await (await request.get("/api/v1/workflows?olderThan=30s&limit=200")).json()).items;
  for (const w of older) expect(Date.parse(w.startedAt), `${w.id} started ${w.startedAt}`).toBeLessThanOrEqual(asked - 30_000 + 1000);
  const bad = await request.get("/api/v1/workflows?olderThan=5%20weeks");
  expect(bad.status()).toBe(400);
  expect(JSON.stringify(await bad.json())).toContain("olderThan");

  // its "waiting on" is a link to the lag page of the group it waits in
  await page.goto(`/workflows?key=${encodeURIComponent(waiting!.key)}`);
  const link = page.getByTestId("workflows-table").locator("tbody tr").first().getByTestId("waiting-on");
  await expect(link).toContainText(waiting!.waitingOn!.destination);
  await link.click();
  await expect(page).toHaveURL(new RegExp(`/kafka/${encodeURIComponent(waiting!.waitingOn!.cluster!)}/${encodeURIComponent(waiting!.waitingOn!.group!)}$`));

  // the age filter lives in the URL and leaves out what started since
  await page.goto("/workflows");
  await page.getByLabel("Age").selectOption("1m");
  await expect(page).toHaveURL(/olderThan=1m/);
  const started = page.getByTestId("workflows-table").locator("tbody tr td:nth-child(5) time");
  await expect(started.first()).toBeVisible({ timeout: 20_000 });
  await expect
    .poll(async () => (await started.evaluateAll((els) => els.map((e) => Date.parse(e.getAttribute("datetime")!)))).every((t) => t <= Date.now() - 60_000 + 1000))
    .toBe(true);

  // the chart by name: the stacks are the workflows' names, the choice in the URL
  const summary = (await (await request.get(`/api/v1/workflows/summary?from=${new Date(Date.now() - 3600_000).toISOString()}`)).json()) as { byName: { name: string; count: number }[] };
  const top = [...summary.byName].sort((a, b) => b.count - a.count)[0]!.name;
  // the radio is controlled by the URL: click it and wait for the URL
  await page.getByLabel("name", { exact: true }).click();
  await expect(page).toHaveURL(/chart=name/);
  await expect(page.getByLabel("name", { exact: true })).toBeChecked();
  await expect(page.getByTestId("workflow-summary").locator(".recharts-legend-wrapper")).toContainText(top);
  await expect(page.getByTestId("workflow-summary").locator(".recharts-legend-wrapper")).not.toContainText("dead-lettered");
  await page.reload();
  await expect(page.getByLabel("name", { exact: true })).toBeChecked();
});

test("the header's search box: a demo order's id lands on its workflow, which links its traces and its dead letter; a trace id opens its trace", async ({ page, request }) => {
  // a declined payment of the demo: its dead letter carries the order id in x-order-id, its workflow is that order
  type Dl = { id: number; traceId: string | null };
  let dl: Dl | undefined;
  let order = "";
  await expect
    .poll(
      async () => {
        const items: Dl[] = (await (await request.get("/api/v1/dead-letters?system=rabbitmq&source=shop.payments.requests.dlq&limit=20")).json()).items ?? [];
        for (const d of items.filter((x) => x.traceId)) {
          const full = await (await request.get(`/api/v1/dead-letters/${d.id}`)).json();
          const key = full.headers?.["x-order-id"];
          if (typeof key !== "string") continue;
          const w = (await (await request.get(`/api/v1/workflows?key=${encodeURIComponent(key)}`)).json()).items?.[0];
          if (w?.deadLetterIds?.includes(d.id)) {
            dl = d;
            order = key;
            return true;
          }
        }
        return false;
      },
      { timeout: 90_000, intervals: [3000] },
    )
    .toBe(true);
  await page.goto("/kafka");
  const box = page.getByRole("search").getByLabel("Search");
  await box.fill(order);
  await box.press("Enter");
  await expect(page).toHaveURL(/\/workflows\/\d+/);
  await expect(page.getByRole("heading", { level: 1 })).toContainText(order);
  await page.getByTestId("workflow-evidence").getByRole("link", { name: `dead letter ${dl!.id}` }).first().click();
  await expect(page).toHaveURL(new RegExp(`/dead-letters/${dl!.id}`));

  // the results page lists the traces and the dead letter too, grouped by kind, with the text in the URL
  await page.goto(`/search?q=${encodeURIComponent(order)}`);
  await expect(page.getByTestId("search-workflow")).toContainText(order);
  await expect(page.getByTestId("search-trace").getByRole("link").first()).toBeVisible();
  await expect(page.getByTestId("search-dead_letter")).toContainText(`#${dl!.id}`);

  // a trace id goes straight to its trace; markup typed in the box stays text
  const box2 = page.getByRole("search").getByLabel("Search");
  await box2.fill(dl!.traceId!);
  await box2.press("Enter");
  await expect(page).toHaveURL(new RegExp(`/traces/${dl!.traceId}`));
  await page.goto(`/search?q=${encodeURIComponent('<img src=x onerror="window.__pwned=1">')}`);
  await expect(page.getByTestId("search-empty")).toContainText('<img src=x onerror="window.__pwned=1">');
  expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
});
