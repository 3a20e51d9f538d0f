import { expect, test } from "@playwright/test";

const run = process.env.E2E_RUN!;
const lagging = `e2e-lagging-${run}`;

test("the lag overview shows the demo's slow group behind, worst first, with state in the URL", async ({ page }) => {
  await page.goto("/kafka");
  const slow = page.getByTestId("group-shop-analytics-slow");
  await expect(slow).toBeVisible({ timeout: 45_000 });
  await expect.poll(async () => Number((await slow.getByTestId("total-lag").textContent())?.replace(/,/g, "")), { timeout: 45_000 }).toBeGreaterThan(0);
  await expect(page.getByTestId(`group-${lagging}`).getByTestId("total-lag")).toHaveText("600");

  // filtering writes the URL; the pasted URL restores the view
  await page.getByLabel("Filter groups").fill(lagging);
  await expect(page).toHaveURL(new RegExp(`q=${lagging}`));
  await expect(page.locator("[data-testid^=group-]")).toHaveCount(1);
  await page.goto(`/kafka?q=${lagging}&sort=lag&dir=asc`);
  await expect(page.locator("[data-testid^=group-]")).toHaveCount(1);
  await expect(page.getByRole("columnheader", { name: /Lag \(messages\)/ })).toHaveAttribute("aria-sort", "ascending");
});

test("the group page shows partitions, members and draws the lag charts", async ({ page }) => {
  await page.goto(`/kafka/local/${lagging}?range=15m`);
  await expect(page.getByTestId("detail-total-lag")).toHaveText("600", { timeout: 30_000 });
  const rows = page.getByTestId("partitions-table").locator("tbody tr");
  await expect(rows).toHaveCount(3);
  await expect(rows.nth(2)).toContainText("exact");
  await expect(page.getByText(/^No active members:/)).toBeVisible();
  // no member and lag: STOP at once, the status history says why
  await expect(page.getByText("no active members", { exact: true }).first()).toBeVisible();
  // two polls make a line (a flat one here: the lag stands still, so check the path, not its height)
  await expect(page.getByTestId("chart-lag").locator("path.recharts-line-curve").first()).toHaveAttribute("d", /^M[\d.]+,[\d.]+[CL]/, { timeout: 20_000 });
  await expect(page.getByTestId("chart-lagSeconds").locator("path.recharts-line-curve").first()).toHaveAttribute("d", /^M[\d.]+,[\d.]+[CL]/);
  await page.getByRole("button", { name: "1h" }).click();
  await expect(page).not.toHaveURL(/range=/);
  await page.getByRole("button", { name: "6h" }).click();
  await expect(page).toHaveURL(/range=6h/);

  await page.goto("/kafka/local/shop-analytics-slow");
  await expect(page.getByTestId("partitions-table").locator("tbody tr").first()).toContainText("analytics-service", { timeout: 30_000 });
});

test("consumer-group API: list, detail, 404 and 400", async ({ request }) => {
  await expect.poll(async () => (await (await request.get("/api/v1/kafka/consumer-groups")).json()).items.some((g: { groupId: string }) => g.groupId === lagging), { timeout: 30_000 }).toBe(true);
  const list = await (await request.get(`/api/v1/kafka/consumer-groups?q=${lagging}`)).json();
  expect(list.items[0]).toMatchObject({ cluster: "local", groupId: lagging, totalLag: 600, state: "Empty" });
  for (const k of ["status", "maxLagSeconds", "etaSeconds"]) expect(list.items[0]).toHaveProperty(k);
  const detail = await (await request.get(`/api/v1/kafka/consumer-groups/local/${lagging}`)).json();
  expect(detail.partitions.map((p: { lag: number }) => p.lag)).toEqual([300, 200, 100]);
  expect(detail.partitions[0]).toMatchObject({ topic: `e2e.lag.${run}`, partition: 0, committedOffset: 0, endOffset: 300, lagMethod: "exact" });
  expect(Math.abs(detail.partitions[0].lagSeconds - (600 + (Date.now() - Number(run)) / 1000))).toBeLessThan(30);
  expect(Array.isArray(detail.history)).toBe(true);

  const nf = await request.get("/api/v1/kafka/consumer-groups/local/no-such-group");
  expect(nf.status()).toBe(404);
  expect((await nf.json()).error.code).toBe("not_found");
  const bad = await request.get(`/api/v1/kafka/consumer-groups/local/${lagging}?range=2y`);
  expect(bad.status()).toBe(400);
  expect((await bad.json()).error.message).toMatch(/^range: /);
  expect((await request.get("/api/v1/kafka/consumer-groups?status=BROKEN")).status()).toBe(400);
});

test("dead letters from the demo's .DLT are listed and shown as text, never as HTML", async ({ page, request }) => {
  await expect.poll(async () => (await (await request.get("/api/v1/dead-letters?system=kafka&source=shop.orders.DLT")).json()).items.length, { timeout: 60_000 }).toBeGreaterThan(0);
  const { items } = await (await request.get("/api/v1/dead-letters?system=kafka&source=shop.orders.DLT&limit=1")).json();
  expect(items[0]).toMatchObject({ system: "kafka", source: "shop.orders.DLT", reason: "exception", status: "new" });
  expect(items[0].originalDestination).toMatch(/^shop\.orders\[\d\]@\d+$/);
  for (const k of ["id", "errorMessage", "deathCount", "firstDeadAt", "traceId", "sizeBytes"]) expect(items[0]).toHaveProperty(k);
  expect((await request.get("/api/v1/dead-letters?traceId=nothex")).status()).toBe(400);
  expect((await request.get("/api/v1/dead-letters/999999999")).status()).toBe(404);

  await page.goto(`/dead-letters?system=kafka&source=shop.orders.DLT`);
  await page.getByTestId("dead-letters-table").locator("tbody tr a").first().click();
  await expect(page.getByTestId("payload")).toContainText("orderId");
  await expect(page.getByTestId("headers")).toContainText("kafka_dlt-original-topic");
});

test("a hostile dead letter renders as text", async ({ page, request }) => {
  const source = `e2e-${run}.DLT`;
  await expect.poll(async () => (await (await request.get(`/api/v1/dead-letters?source=${source}`)).json()).items.length, { timeout: 60_000 }).toBe(1);
  const { items } = await (await request.get(`/api/v1/dead-letters?source=${source}`)).json();
  expect(items[0]).toMatchObject({ originalDestination: "orders", errorMessage: `<b onmouseover="window.__xss=3">bold</b>` });
  const detail = await (await request.get(`/api/v1/dead-letters/${items[0].id}`)).json();
  expect(detail.payload.text).toContain("<script>");
  expect(Buffer.from(detail.payload.base64, "base64").toString()).toBe(detail.payload.text);

  await page.goto(`/dead-letters/${items[0].id}`);
  await expect(page.getByTestId("payload")).toHaveText(`<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>`);
  // the error in the fields, and the header that carried it in the headers table: text both times
  await expect(page.locator(".fields").getByText(`<b onmouseover="window.__xss=3">bold</b>`)).toBeVisible();
  await expect(page.getByTestId("headers").getByText(`<b onmouseover="window.__xss=3">bold</b>`)).toBeVisible();
  expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
  expect(await page.locator("main img, main script, main b").count()).toBe(0);
  // the Kafka key is shown, and the source links to the list of that topic's dead letters
  await expect(page.locator("dl.fields")).toContainText("hostile");
  await page.locator("dl.fields").getByRole("link", { name: new RegExp(source.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")) }).click();
  await expect(page).toHaveURL(/\/dead-letters\?system=kafka&broker=local&source=e2e-[^&]+\.DLT&exact=true$/);
  await expect(page.getByTestId("dead-letters-table").locator("tbody tr")).toHaveCount(1);
});
