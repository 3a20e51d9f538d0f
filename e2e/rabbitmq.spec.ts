import { expect, test } from "@playwright/test";

const dlq = "shop.payments.requests.dlq";
const source = "shop.payments.requests";

test("the queues page marks the demo's dead-letter queue and links it to its source", async ({ page }) => {
  await page.goto("/rabbitmq");
  const row = page.getByTestId(`queue-${dlq}`);
  await expect(row).toBeVisible({ timeout: 45_000 });
  await expect(row).toHaveAttribute("data-dlq", "true");
  await expect(row.getByTestId("dlq-source")).toContainText(source);
  await expect(page.getByTestId(`queue-${source}`)).toContainText(`→ ${dlq}`);

  await page.getByRole("button", { name: "dead-letter queues" }).click();
  await expect(page).toHaveURL(/dlq=true/);
  await expect(page.getByTestId(`queue-${source}`)).toHaveCount(0);
  await expect(row).toBeVisible();

  await row.getByRole("link", { name: dlq }).click();
  await expect(page).toHaveURL(new RegExp(`/rabbitmq/local/%2F/${dlq.replace(/\./g, "\\.")}`));
  await expect(page.getByText("captured into Switchyard")).toBeVisible();
  await expect(page.getByTestId("chart-ready").locator("path.recharts-line-curve").first()).toHaveAttribute("d", /^M[\d.]+,[\d.]+[CL]/, { timeout: 20_000 });
});

test("queues API and RabbitMQ dead letters in the shared dead-letters API", async ({ request }) => {
  await expect.poll(async () => (await (await request.get("/api/v1/rabbitmq/queues?dlq=true")).json()).items.some((q: { name: string }) => q.name === dlq), { timeout: 45_000 }).toBe(true);
  const list = await (await request.get("/api/v1/rabbitmq/queues")).json();
  const { items } = list;
  expect(list.overview[0]).toMatchObject({ broker: "local", healthy: true });
  expect(list.overview[0].totals.queues).toBeGreaterThanOrEqual(3);
  const d = items.find((q: { name: string }) => q.name === dlq);
  expect(d).toMatchObject({ broker: "local", vhost: "/", type: "classic", isDeadLetterQueue: true, deadLetterSources: [source], captureMode: "capture" });
  for (const k of ["ready", "unacked", "consumers", "publishRate", "deliverRate"]) expect(d).toHaveProperty(k);
  expect(items.find((q: { name: string }) => q.name === source)).toMatchObject({ isDeadLetterQueue: false, deadLetterTargets: [dlq], deadLetterExchange: "shop.dlx" });

  const detail = await request.get(`/api/v1/rabbitmq/queues/local/${encodeURIComponent("/")}/${source}?range=15m`);
  expect(detail.status()).toBe(200);
  expect(Array.isArray((await detail.json()).history)).toBe(true);
  expect((await request.get("/api/v1/rabbitmq/queues/local/%2F/no-such-queue")).status()).toBe(404);
  expect((await request.get("/api/v1/rabbitmq/queues?sort=size")).status()).toBe(400);

  await expect.poll(async () => (await (await request.get(`/api/v1/dead-letters?system=rabbitmq&source=${dlq}`)).json()).items.length, { timeout: 60_000 }).toBeGreaterThan(0);
  const dl = (await (await request.get(`/api/v1/dead-letters?system=rabbitmq&source=${dlq}&limit=1`)).json()).items[0];
  expect(dl).toMatchObject({ system: "rabbitmq", source: dlq, reason: "rejected", originalDestination: source, deathCount: 1, status: "new" });
  expect(dl.traceId).toMatch(/^[0-9a-f]{32}$/);
  const full = await (await request.get(`/api/v1/dead-letters/${dl.id}`)).json();
  expect(full).toMatchObject({ originalExchange: "shop.payments", originalRoutingKey: "payment.requested" });
  expect(full.headers["x-death"][0]).toMatchObject({ queue: source, reason: "rejected" });
  expect(JSON.parse(full.payload.text)).toHaveProperty("orderId");
});

test("the dead-letter list shows the demo's rejected payments with their reason", async ({ page }) => {
  await page.goto(`/dead-letters?system=rabbitmq&source=${dlq}`);
  const first = page.getByTestId("dead-letters-table").locator("tbody tr").first();
  await expect(first).toContainText(dlq, { timeout: 60_000 });
  await expect(first).toContainText("rejected");
  await expect(first).toContainText(source);
  await expect(page.getByLabel("System")).toHaveValue("rabbitmq");
});

test("queue depths the API reports equal rabbitmqctl list_queues", async ({ request }) => {
  const { execFileSync } = await import("node:child_process");
  const amqp = (await import("amqplib")).default;
  const q = `e2e.depth.${process.env.E2E_RUN}`;
  const conn = await amqp.connect("amqp://guest:guest@127.0.0.1:5672");
  const ch = await conn.createConfirmChannel();
  await ch.assertQueue(q, { durable: false });
  for (let i = 0; i < 37; i++) ch.sendToQueue(q, Buffer.from(String(i)));
  await ch.waitForConfirms();
  const truth = () =>
    execFileSync("rabbitmqctl", ["-q", "list_queues", "name", "messages_ready", "messages_unacknowledged"], { encoding: "utf8" })
      .split("\n")
      .map((l) => l.trim().split(/\s+/))
      .find((c) => c[0] === q);
  expect(truth()).toEqual([q, "37", "0"]);
  await expect
    .poll(async () => {
      const item = (await (await request.get(`/api/v1/rabbitmq/queues?q=${q}`)).json()).items[0];
      return item ? [item.name, String(item.ready), String(item.unacked)] : null;
    }, { timeout: 30_000 })
    .toEqual(truth());
  await ch.deleteQueue(q);
  await conn.close();
});
