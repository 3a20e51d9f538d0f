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
  await expect(page.getByTestId("overall-status")).toContainText("All systems healthy");
  // react-query keeps polling the API from the browser
  await expect.poll(() => healthCalls.length, { timeout: 15_000 }).toBeGreaterThanOrEqual(2);
  expect(healthCalls.every((s) => s === 200)).toBe(true);
});

test("API errors are JSON with a code and a message", async ({ request }) => {
  const r = await request.get("/api/v1/no-such-endpoint");
  expect(r.status()).toBe(404);
  expect(await r.json()).toEqual({ error: { code: "not_found", message: "no API endpoint at /api/v1/no-such-endpoint" } });
});
