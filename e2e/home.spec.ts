import { expect, test } from "@playwright/test";

test("the home page shows every configured system healthy, refreshed from /api/v1/health", async ({ page }) => {
  const healthCalls: number[] = [];
  page.on("response", (r) => {
    if (r.url().endsWith("/api/v1/health")) healthCalls.push(r.status());
  });
  await page.goto("/");
  await expect(page.getByRole("heading", { name: "Systems" })).toBeVisible();
  for (const id of ["source-kafka-local", "source-rabbitmq-local", "source-postgres-switchyard", "source-otlp-http"]) {
    await expect(page.getByTestId(id)).toHaveAttribute("data-healthy", "true");
    await expect(page.getByTestId(id)).toContainText("healthy");
  }
  await expect(page.getByTestId("overall-status")).toHaveAttribute("data-status", "ok");
  await expect(page.getByTestId("overall-status")).toContainText("All sources healthy");
  // react-query keeps polling the API from the browser
  await expect.poll(() => healthCalls.length, { timeout: 15_000 }).toBeGreaterThanOrEqual(2);
  expect(healthCalls.every((s) => s === 200)).toBe(true);
});

test("the home page says first what needs attention: the demo's slow group with its lag in time and ETA, its dead-letter queues taking dead letters; never 'nothing' while they do", async ({ page, request }) => {
  await page.goto("/");
  const panel = page.getByTestId("attention");
  await expect(panel).toBeVisible();
  // the slow group falls behind within the first polls; the declined payments and poison orders keep arriving
  const slow = panel.getByTestId("attention-group").filter({ hasText: "shop-analytics-slow" });
  await expect(slow).toBeVisible({ timeout: 90_000 });
  await expect(slow).toContainText(/behind, (not catching up|catching up in .+)/);
  await expect(panel.getByTestId("attention-dead_letters").filter({ hasText: "shop.payments.requests.dlq" })).toBeVisible({ timeout: 60_000 });
  await expect(panel.getByTestId("attention-dead_letters").filter({ hasText: "shop.orders.DLT" })).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId("attention-none")).toHaveCount(0);
  // worst first, as the API orders them; each opens its page
  const api = (await (await request.get("/api/v1/attention")).json()) as { items: { severity: string; title: string }[]; allHealthy: boolean };
  expect(api.allHealthy).toBe(false);
  const sev = api.items.map((i) => i.severity);
  expect(sev).toEqual([...sev].sort((a, b) => (a === b ? 0 : a === "critical" ? -1 : 1)));
  await slow.getByRole("link").click();
  await expect(page).toHaveURL(/\/kafka\/local\/shop-analytics-slow/);
});

test("API errors are JSON with a code and a message", async ({ request }) => {
  const r = await request.get("/api/v1/no-such-endpoint");
  expect(r.status()).toBe(404);
  expect(await r.json()).toEqual({ error: { code: "not_found", message: "no API endpoint at /api/v1/no-such-endpoint" } });
});
