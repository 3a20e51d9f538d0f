import { expect, test, type APIRequestContext, type Page } from "@playwright/test";

const run = process.env.E2E_RUN!;
const lagging = `e2e-lagging-${run}`;
const searchTopic = `e2e-search-${run}.DLT`;

const viewports = [
  { name: "desktop", width: 1440, height: 900 },
  { name: "phone", width: 390, height: 844 },
] as const;

async function firstDeadLetter(request: APIRequestContext, qs: string) {
  let item: { id: number; traceId: string | null } | undefined;
  await expect
    .poll(async () => {
      item = (await (await request.get(`/api/v1/dead-letters?${qs}&limit=1`)).json()).items[0];
      return item !== undefined;
    }, { timeout: 60_000 })
    .toBe(true);
  return item!;
}

async function someTraceId(request: APIRequestContext): Promise<string> {
  let id = "";
  await expect
    .poll(async () => {
      const r = await (await request.get("/api/v1/traces?service=order-service&limit=1")).json();
      id = r.items?.[0]?.traceId ?? "";
      return id;
    }, { timeout: 60_000 })
    .toMatch(/^[0-9a-f]{32}$/);
  return id;
}

async function noSidewaysScroll(page: Page) {
  const { scrollWidth, clientWidth } = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth }));
  expect(scrollWidth, `${page.url()} is ${scrollWidth} px wide in a ${clientWidth} px window`).toBeLessThanOrEqual(clientWidth);
}

for (const vp of viewports) {
  test(`no page scrolls sideways at ${vp.width}×${vp.height} (${vp.name})`, async ({ page, request }) => {
    test.setTimeout(180_000);
    await page.setViewportSize({ width: vp.width, height: vp.height });
    const dl = await firstDeadLetter(request, "system=kafka&source=shop.orders.DLT");
    const traceId = await someTraceId(request);
    const pages: [string, string][] = [
      ["/", "[data-testid=overall-status]"],
      ["/kafka", "[data-testid=groups-table]"],
      [`/kafka/local/${lagging}`, "[data-testid=partitions-table]"],
      ["/rabbitmq", "[data-testid=queues-table]"],
      [`/rabbitmq/local/%2F/shop.payments.requests`, "[data-testid=chart-ready]"],
      ["/dead-letters", "[data-testid=dead-letters-table]"],
      [`/dead-letters/${dl.id}`, "[data-testid=payload]"],
      ["/traces", "main table, main [role=alert], main p"],
      [`/traces/${traceId}`, "main h1"],
      ["/flows", "[data-testid=flow-canvas], [data-testid=flows-empty]"],
      ["/analysis", "main h2"],
      ["/workflows", "[data-testid=workflow-summary], main [role=alert]"],
      ["/search?q=shop", "[data-testid=search-results], [data-testid=search-empty]"],
      ["/alerts", "[data-testid=alert-rules]"],
    ];
    for (const [path, ready] of pages) {
      await page.goto(path);
      await expect(page.locator(ready).first()).toBeVisible({ timeout: 45_000 });
      await noSidewaysScroll(page);
      // the navigation is all there, not cut off
      for (const name of ["Systems", "Consumer lag", "Queues", "Dead letters", "Traces"]) {
        const link = page.getByRole("navigation", { name: "Main" }).getByRole("link", { name, exact: true });
        await expect(link).toBeInViewport();
      }
    }
  });
}

test("an invalid query shows the API's error and a way back, not a spinner", async ({ page, request }) => {
  for (const vp of viewports) {
    await page.setViewportSize({ width: vp.width, height: vp.height });
    for (const [path, api, back] of [
      ["/kafka?status=BOGUS", "/api/v1/kafka/consumer-groups?status=BOGUS", "/kafka"],
      ["/rabbitmq?sort=nope", "/api/v1/rabbitmq/queues?sort=nope", "/rabbitmq"],
      ["/dead-letters?system=xyz", "/api/v1/dead-letters?system=xyz", "/dead-letters"],
      ["/dead-letters?status=bogus&system=kafka", "/api/v1/dead-letters?system=kafka&status=bogus", "/dead-letters"],
    ] as const) {
      const r = await request.get(api);
      expect(r.status(), api).toBe(400);
      const message: string = (await r.json()).error.message;
      await page.goto(path);
      await expect(page.getByTestId("query-error-message")).toHaveText(message);
      await expect(page.getByText(/Loading/)).toHaveCount(0);
      await noSidewaysScroll(page);
      await page.getByTestId("query-error-back").click();
      await expect(page).toHaveURL(new RegExp(`${back.replace(/\//g, "\\/")}$`));
      await expect(page.getByTestId("query-error")).toHaveCount(0);
    }
  }
  // the traces page too (its own component): the API's message, no spinner
  const r = await request.get("/api/v1/traces?minDurationMs=abc");
  expect(r.status()).toBe(400);
  const message: string = (await r.json()).error.message;
  await page.goto("/traces?minDurationMs=abc");
  await expect(page.getByText(message)).toBeVisible();
  await expect(page.getByText(/Loading/)).toHaveCount(0);
});

test("the navigation marks the current page", async ({ page }) => {
  const nav = page.getByRole("navigation", { name: "Main" });
  for (const [path, current] of [
    ["/", "Systems"],
    ["/kafka", "Consumer lag"],
    [`/kafka/local/${lagging}`, "Consumer lag"],
    ["/rabbitmq", "Queues"],
    ["/dead-letters?system=kafka", "Dead letters"],
    ["/traces", "Traces"],
    ["/flows?focus=order-service", "Event flows"],
    ["/analysis", "Analysis"],
    ["/workflows", "Workflows"],
    ["/alerts", "Alerts"],
  ] as const) {
    await page.goto(path);
    await expect(nav.getByRole("link", { name: current, exact: true })).toHaveAttribute("aria-current", "page");
    await expect(nav.locator("[aria-current=page]")).toHaveCount(1);
  }
});

test.describe("times", () => {
  // a zone that is not UTC, so local and UTC differ
  test.use({ timezoneId: "Asia/Kolkata" });

  test("the UTC/local switch changes the shown times, lives in the URL and stays on links", async ({ page, request }) => {
    await firstDeadLetter(request, `source=${encodeURIComponent(searchTopic)}`);
    await page.goto(`/dead-letters?source=${encodeURIComponent(searchTopic)}`);
    const first = page.getByTestId("dead-letters-table").locator("tbody tr").first().locator("time").first();
    await expect(first).toHaveText(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} \+05:30$/);
    const iso = await first.getAttribute("datetime");
    const local = await first.textContent();
    await page.getByRole("group", { name: "Time zone" }).getByRole("button", { name: "UTC" }).click();
    await expect(page).toHaveURL(/[?&]tz=utc/);
    await expect(first).toHaveText(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC$/);
    const utc = await first.textContent();
    expect(utc).toBe(`${iso!.slice(0, 19).replace("T", " ")} UTC`);
    expect(utc).not.toBe(local);
    // a relative age carries the absolute time in its tooltip
    const age = page.getByTestId("dead-letters-table").locator("tbody tr").first().locator("time").nth(1);
    await expect(age).toHaveText(/ago$|^just now$/);
    await expect(age).toHaveAttribute("title", utc!);
    // links within the app keep the choice, and a pasted URL restores it
    await expect(page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Consumer lag" })).toHaveAttribute("href", "/kafka?tz=utc");
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Consumer lag" }).click();
    await expect(page).toHaveURL(/\/kafka\?tz=utc$/);
    await page.goto(`/kafka/local/${lagging}?tz=utc`);
    await expect(page.locator("main time").first()).toHaveAttribute("data-tz", "utc");
    await page.getByRole("group", { name: "Time zone" }).getByRole("button", { name: "local" }).click();
    await expect(page).not.toHaveURL(/tz=/);
    await expect(page.locator("main time").first()).toHaveAttribute("data-tz", "local");
  });
});

test("pause stops a list refreshing, and resume starts it again; both in the URL", async ({ page }) => {
  let calls = 0;
  page.on("request", (r) => {
    if (r.url().includes("/api/v1/kafka/consumer-groups")) calls++;
  });
  await page.goto("/kafka");
  await expect(page.getByTestId("groups-table")).toBeVisible({ timeout: 45_000 });
  await expect.poll(() => calls, { timeout: 20_000 }).toBeGreaterThanOrEqual(2);
  await page.getByRole("button", { name: /pause/ }).click();
  await expect(page).toHaveURL(/paused=1/);
  await expect(page.getByTestId("refresh-control")).toHaveAttribute("data-paused", "true");
  await page.waitForTimeout(1_000);
  const paused = calls;
  // three refresh intervals (5 s) without a single request
  await page.waitForTimeout(15_000);
  expect(calls).toBe(paused);
  // a pasted paused link stays paused
  await page.reload();
  await expect(page.getByTestId("groups-table")).toBeVisible({ timeout: 45_000 });
  const afterReload = calls;
  await page.waitForTimeout(12_000);
  expect(calls).toBe(afterReload);
  await page.getByRole("button", { name: /resume/ }).click();
  await expect(page).not.toHaveURL(/paused=/);
  await expect.poll(() => calls, { timeout: 20_000 }).toBeGreaterThan(afterReload + 1);
});

test("a refreshing list keeps the reader's place", async ({ page }) => {
  await page.setViewportSize({ width: 1440, height: 600 });
  await page.goto("/dead-letters?refresh=5");
  const rows = page.getByTestId("dead-letters-table").locator("tbody tr");
  await expect.poll(() => rows.count(), { timeout: 60_000 }).toBeGreaterThan(30);
  // into the list, below the failure groups
  await page.getByTestId("dead-letters-table").evaluate((el) => window.scrollTo(0, el.getBoundingClientRect().top + window.scrollY + 500));
  const atTop = () =>
    page.evaluate(() => {
      const el = document.elementFromPoint(300, 120)?.closest("tr");
      return el ? { id: el.getAttribute("data-testid"), top: Math.round(el.getBoundingClientRect().top) } : null;
    });
  const before = await atTop();
  expect(before?.id).toMatch(/^dead-letter-\d+$/);
  // two refreshes later (new dead letters keep arriving from the demo) the same row is where it was
  for (let i = 0; i < 2; i++) await page.waitForResponse((r) => new URL(r.url()).pathname === "/api/v1/dead-letters" && r.status() === 200, { timeout: 30_000 });
  await page.waitForTimeout(500);
  const after = await atTop();
  expect(after?.id).toBe(before?.id);
  expect(Math.abs(after!.top - before!.top)).toBeLessThanOrEqual(2);
});

test("dead-letter free text finds an order id in the key, a header or the payload", async ({ page, request }) => {
  await firstDeadLetter(request, `source=${encodeURIComponent(searchTopic)}`);
  await expect.poll(async () => (await (await request.get(`/api/v1/dead-letters?source=${encodeURIComponent(searchTopic)}`)).json()).items.length, { timeout: 60_000 }).toBe(3);
  for (const [q, field] of [
    [`KEY-${run}`, "key"],
    [`hdr-${run}`, "header"], // case-insensitive
    [`PAY-${run}`, "payload"],
  ] as const) {
    const { items } = await (await request.get(`/api/v1/dead-letters?q=${encodeURIComponent(q)}`)).json();
    expect(items, field).toHaveLength(1);
    expect(items[0].source).toBe(searchTopic);
    await page.goto(`/dead-letters?q=${encodeURIComponent(q)}`);
    const rows = page.getByTestId("dead-letters-table").locator("tbody tr");
    await expect(rows).toHaveCount(1);
    await expect(rows.first()).toContainText(searchTopic);
  }
  // the key is shown in the list, as text
  await page.goto(`/dead-letters?q=KEY-${run}`);
  await expect(page.getByTestId("dl-key")).toHaveText(`KEY-${run}`);

  // the demo's own rows: a poison order is found by its order id (its Kafka key), a declined payment by its x-order-id header
  const kafka = await firstDeadLetter(request, "system=kafka&source=shop.orders.DLT");
  const kDetail = await (await request.get(`/api/v1/dead-letters/${kafka.id}`)).json();
  const orderId: string = kDetail.key.text;
  expect(orderId).toBeTruthy();
  await page.goto(`/dead-letters?q=${encodeURIComponent(orderId)}`);
  await expect(page.getByTestId(`dead-letter-${kafka.id}`)).toBeVisible();
  await expect(page.getByTestId(`dead-letter-${kafka.id}`).getByTestId("dl-key")).toHaveText(orderId);

  const rabbit = await firstDeadLetter(request, "system=rabbitmq&source=shop.payments.requests.dlq");
  const rDetail = await (await request.get(`/api/v1/dead-letters/${rabbit.id}`)).json();
  const paymentOrder: string = rDetail.headers["x-order-id"];
  expect(paymentOrder).toBeTruthy();
  await page.goto(`/dead-letters?system=rabbitmq&q=${encodeURIComponent(paymentOrder)}`);
  await expect(page.getByTestId(`dead-letter-${rabbit.id}`)).toBeVisible();
  // its source and destination open their queue pages
  await page.getByTestId(`dead-letter-${rabbit.id}`).getByTestId("dl-destination").click();
  await expect(page).toHaveURL(/\/rabbitmq\/local\/%2F\/shop\.payments\.requests$/);
});

test("the dead-letter source filter takes a glob, and the list pages every row once, newest death first", async ({ page, request }) => {
  await expect.poll(async () => (await (await request.get(`/api/v1/dead-letters?source=e2e-search-${run}.*`)).json()).items.length, { timeout: 60_000 }).toBe(3);
  const glob = (await (await request.get(`/api/v1/dead-letters?source=${encodeURIComponent("*.DLT")}&limit=500`)).json()).items as { source: string }[];
  expect(glob.length).toBeGreaterThan(0);
  expect(glob.every((d) => d.source.endsWith(".DLT"))).toBe(true);
  await page.goto(`/dead-letters?source=${encodeURIComponent(`e2e-search-${run}.*`)}`);
  await expect(page.getByTestId("dead-letters-table").locator("tbody tr")).toHaveCount(3);

  // paging by cursor: every row exactly once, ordered by time of death
  const seen: { id: number; deadAt: string }[] = [];
  let cursor: string | null = null;
  do {
    const qs: string = `system=kafka&source=shop.orders.DLT&limit=7${cursor ? `&cursor=${cursor}` : ""}`;
    const body = (await (await request.get(`/api/v1/dead-letters?${qs}`)).json()) as { items: { id: number; deadAt: string }[]; nextCursor: string | null };
    seen.push(...body.items);
    cursor = body.nextCursor;
  } while (cursor && seen.length < 70);
  expect(new Set(seen.map((d) => d.id)).size).toBe(seen.length);
  for (let i = 1; i < seen.length; i++) {
    const a = seen[i - 1]!;
    const b = seen[i]!;
    expect(a.deadAt > b.deadAt || (a.deadAt === b.deadAt && a.id > b.id), `${a.id}@${a.deadAt} before ${b.id}@${b.deadAt}`).toBe(true);
  }
});
