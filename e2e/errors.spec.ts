import { expect, test, type Page } from "@playwright/test";

const run = process.env.E2E_RUN!;
const otlpPort = process.env.E2E_OTLP_PORT ?? "14318";
const hex = (n: number) => Array.from({ length: n }, () => Math.floor(Math.random() * 16).toString(16)).join("");

/** The app's own error page: in the layout (its top bar), with the status it was served with, and a link back. */
async function expectErrorPage(page: Page, status: number, back: string, heading: string) {
  await expect(page.locator("header.topbar")).toBeVisible();
  const box = page.getByTestId("error-page");
  await expect(box).toHaveAttribute("data-status", String(status));
  await expect(box.getByRole("heading", { level: 1 })).toHaveText(heading);
  await expect(box.getByTestId("error-back")).toHaveAttribute("href", back);
  await expect(page).toHaveTitle(`${heading} · Switchyard`);
}

test("unknown ids and paths: the app's not-found page with 404 and a link back to their list", async ({ page }) => {
  for (const [path, back] of [
    ["/dead-letters/999999999", "/dead-letters"],
    ["/dead-letters/abc", "/dead-letters"],
    ["/traces/abc", "/traces"],
    [`/traces/${hex(32)}`, "/traces"],
    ["/kafka/nope/nope", "/kafka"],
    [`/kafka/local/no-such-group-${run}`, "/kafka"],
    ["/rabbitmq/nope/%2F/nope", "/rabbitmq"],
    ["/no/such/page", "/"],
    ["/bad-request", "/"],
  ] as const) {
    const r = await page.goto(path);
    expect(r?.status(), path).toBe(404);
    await expectErrorPage(page, 404, back, "Not found");
  }
  await page.getByTestId("error-back").click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByRole("heading", { name: "Systems" })).toBeVisible();
});

test("malformed URLs: the app's bad-request page with 400 and a link back; the API answers its JSON error", async ({ page, request }) => {
  for (const [path, back] of [
    ["/dead-letters/%FF", "/dead-letters"],
    ["/kafka/%/x", "/kafka"],
    ["/rabbitmq/local/%2F/%E0%A4%A", "/rabbitmq"],
    ["/traces/%00", "/traces"],
    ["/%", "/"],
  ] as const) {
    const r = await page.goto(path);
    expect(r?.status(), path).toBe(400);
    await expectErrorPage(page, 400, back, "Bad request");
  }
  await page.getByTestId("error-back").click();
  await expect(page).toHaveURL(/\/$/);

  for (const [path, message] of [
    ["/api/v1/dead-letters/%FF", /^path: malformed percent-encoding/],
    ["/api/v1/kafka/consumer-groups/local/%", /^path: malformed percent-encoding/],
    ["/api/v1/kafka/consumer-groups/local/a%00b", /^path: must not contain a NUL/],
    ["/api/v1/dead-letters?q=%00", /^q: must not contain a NUL/],
    ["/api/v1/traces?service=a%00", /^service: must not contain a NUL/],
    ["/api/v1/dead-letters/1e3", /dead letter id/],
    ["/api/v1/kafka/consumer-groups?status=OK&status=STALL", /^status: /],
  ] as const) {
    const r = await request.get(path);
    expect(r.status(), path).toBe(400);
    const body = await r.json();
    expect(body.error.code, path).toBe("invalid_request");
    expect(body.error.message, path).toMatch(message);
  }
});

test("a queue whose name holds a percent sign opens from its own list link", async ({ page, request }) => {
  const amqp = (await import("amqplib")).default;
  const name = `e2e.${run}.50%off`;
  const conn = await amqp.connect("amqp://guest:guest@127.0.0.1:5672");
  try {
    const ch = await conn.createChannel();
    await ch.assertQueue(name, { durable: false });
    await expect.poll(async () => (await request.get(`/api/v1/rabbitmq/queues/local/%2F/${encodeURIComponent(name)}`)).status(), { timeout: 45_000 }).toBe(200);

    await page.goto(`/rabbitmq?q=${encodeURIComponent(name)}`);
    await page.getByTestId(`queue-${name}`).getByRole("link", { name }).click();
    await expect(page).toHaveURL(`/rabbitmq/local/%2F/${encodeURIComponent(name)}`);
    await expect(page.getByRole("heading", { level: 1 })).toContainText(name, { timeout: 20_000 });
    await expect(page).toHaveTitle(`Queue ${name} · Switchyard`);
    await expect(page.locator("main .error")).toHaveCount(0);
    await ch.deleteQueue(name);
  } finally {
    await conn.close();
  }
});

test("every page has a title of its own", async ({ page, request }) => {
  for (const [path, title] of [
    ["/", "Systems · Switchyard"],
    ["/kafka", "Consumer lag · Switchyard"],
    ["/rabbitmq", "Queues · Switchyard"],
    ["/dead-letters", "Dead letters · Switchyard"],
    ["/traces", "Traces · Switchyard"],
    ["/alerts", "Alerts · Switchyard"],
    ["/search?q=x", "Search · Switchyard"],
  ] as const) {
    await page.goto(path);
    await expect(page, path).toHaveTitle(title);
  }

  const group = `e2e-lagging-${run}`;
  await expect.poll(async () => (await request.get(`/api/v1/kafka/consumer-groups/local/${group}`)).status(), { timeout: 45_000 }).toBe(200);
  await page.goto(`/kafka/local/${group}`);
  await expect(page).toHaveTitle(`Group ${group} · Consumer lag · Switchyard`);

  const dlt = `e2e-${run}.DLT`;
  let id = 0;
  await expect
    .poll(async () => (id = (await (await request.get(`/api/v1/dead-letters?system=kafka&source=${encodeURIComponent(dlt)}`)).json()).items[0]?.id ?? 0), { timeout: 60_000 })
    .toBeGreaterThan(0);
  await page.goto(`/dead-letters/${id}`);
  await expect(page).toHaveTitle(`Dead letter #${id} · Switchyard`);

  // one span over OTLP/JSON: the receiver answers once it is stored
  const traceId = hex(32);
  const now = BigInt(Date.now()) * 1_000_000n;
  const r = await request.post(`http://127.0.0.1:${otlpPort}/v1/traces`, {
    headers: { "content-type": "application/json" },
    data: {
      resourceSpans: [
        {
          resource: { attributes: [{ key: "service.name", value: { stringValue: `e2e-title-${run}` } }] },
          scopeSpans: [{ spans: [{ traceId, spanId: hex(16), name: "GET /title", kind: 2, startTimeUnixNano: String(now), endTimeUnixNano: String(now + 5_000_000n) }] }],
        },
      ],
    },
  });
  expect(r.status()).toBe(200);
  await page.goto(`/traces/${traceId}`);
  await expect(page).toHaveTitle(`Trace ${traceId.slice(0, 8)}… · Switchyard`);
});
