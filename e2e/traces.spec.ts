import { randomBytes } from "node:crypto";
import { expect, test } from "@playwright/test";

const otlp = `http://127.0.0.1:${process.env.E2E_OTLP_PORT ?? "14318"}/v1/traces`;
const hex = (n: number) => randomBytes(n).toString("hex");

/** A request split over two traces: the consumer runs an hour after the producer, in a trace that links back. */
async function sendLinkedTraces() {
  const ids = { producerTrace: hex(16), consumerTrace: hex(16), root: hex(8), send: hex(8), consume: hex(8) };
  const service = `e2e-shop-${Date.now()}`;
  const t = BigInt(Date.now() - 2 * 3600_000) * 1_000_000n;
  const ns = (ms: number) => String(t + BigInt(ms) * 1_000_000n);
  const a = (key: string, v: string) => ({ key, value: { stringValue: v } });
  const body = {
    resourceSpans: [
      {
        resource: { attributes: [a("service.name", service)] },
        scopeSpans: [
          {
            spans: [
              { traceId: ids.producerTrace, spanId: ids.root, name: "POST /orders", kind: 2, startTimeUnixNano: ns(0), endTimeUnixNano: ns(40), attributes: [a("http.request.method", "POST"), a("http.route", "/orders")] },
              {
                traceId: ids.producerTrace,
                spanId: ids.send,
                parentSpanId: ids.root,
                name: "orders.placed publish",
                kind: 4,
                startTimeUnixNano: ns(5),
                endTimeUnixNano: ns(9),
                attributes: [a("messaging.system", "kafka"), a("messaging.destination.name", "orders.placed"), a("note", "<img src=x onerror=alert(1)>")],
              },
            ],
          },
        ],
      },
      {
        resource: { attributes: [a("service.name", `${service}-inventory`)] },
        scopeSpans: [
          {
            spans: [
              {
                traceId: ids.consumerTrace,
                spanId: ids.consume,
                name: "orders.placed process",
                kind: 5,
                startTimeUnixNano: ns(3_600_000),
                endTimeUnixNano: ns(3_600_250),
                attributes: [a("messaging.system", "kafka"), a("messaging.destination.name", "orders.placed"), a("messaging.consumer.group.name", "inventory")],
                links: [{ traceId: ids.producerTrace, spanId: ids.send }],
                status: { code: 2, message: "out of stock" },
                events: [{ name: "exception", timeUnixNano: ns(3_600_200), attributes: [a("exception.type", "OutOfStock")] }],
              },
            ],
          },
        ],
      },
    ],
  };
  const r = await fetch(otlp, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  expect(r.status).toBe(200);
  return { ...ids, service };
}

test("traces API: one trace with its linked trace, search, 404 and 400", async ({ request }) => {
  const ids = await sendLinkedTraces();
  await expect.poll(async () => (await request.get(`/api/v1/traces/${ids.producerTrace}`)).status(), { timeout: 20_000 }).toBe(200);
  const one = await (await request.get(`/api/v1/traces/${ids.producerTrace}`)).json();
  expect(one.spans.map((s: { spanId: string }) => s.spanId)).toEqual([ids.root, ids.send]);
  expect(one.spans[1]).toMatchObject({ parentSpanId: ids.root, kind: "PRODUCER", service: ids.service, durationMs: 4 });
  expect(one.linkedTraceIds).toEqual([ids.consumerTrace]);
  const other = await (await request.get(`/api/v1/traces/${ids.consumerTrace}`)).json();
  expect(other.spans[0]).toMatchObject({ status: "ERROR", statusMessage: "out of stock", durationMs: 250, links: [expect.objectContaining({ traceId: ids.producerTrace, spanId: ids.send })] });
  expect(other.spans[0].events[0]).toMatchObject({ name: "exception", attributes: { "exception.type": "OutOfStock" } });
  expect(other.linkedTraceIds).toEqual([ids.producerTrace]);

  const from = new Date(Date.now() - 3 * 3600_000).toISOString();
  const found = await (await request.get(`/api/v1/traces?service=${ids.service}&from=${from}`)).json();
  expect(found.items).toEqual([expect.objectContaining({ traceId: ids.producerTrace, rootService: ids.service, rootName: "POST /orders", spanCount: 2, errorCount: 0, services: [ids.service] })]);
  const errors = await (await request.get(`/api/v1/traces?status=error&destination=orders.placed&from=${from}`)).json();
  expect(errors.items.map((t: { traceId: string }) => t.traceId)).toContain(ids.consumerTrace);
  const byAttr = await (await request.get(`/api/v1/traces?attr=http.route=/orders&service=${ids.service}&minDurationMs=39&maxDurationMs=41&from=${from}`)).json();
  expect(byAttr.items).toHaveLength(1);
  const tooShort = await (await request.get(`/api/v1/traces?service=${ids.service}&minDurationMs=41&from=${from}`)).json();
  expect(tooShort.items).toHaveLength(0);

  expect((await request.get(`/api/v1/traces/${hex(16)}`)).status()).toBe(404);
  const bad = await request.get("/api/v1/traces/not-a-trace-id");
  expect(bad.status()).toBe(400);
  expect((await bad.json()).error.message).toMatch(/32 hex digits/);
  expect((await request.get("/api/v1/traces?minDurationMs=5&maxDurationMs=1")).status()).toBe(400);
  expect((await request.get("/api/v1/traces?attr=novalue")).status()).toBe(400);
});

test("trace page: labelled hops, linked trace stitched into one timeline with the broker wait, hostile attributes as text", async ({ page }) => {
  const ids = await sendLinkedTraces();
  await page.goto(`/traces/${ids.producerTrace}`);
  const wf = page.getByTestId("waterfall");
  await expect(wf.getByText("POST /orders")).toBeVisible({ timeout: 20_000 });
  await expect(wf.getByText("publish to orders.placed")).toBeVisible();
  await expect(page.getByTestId("linked-traces").getByRole("link", { name: ids.consumerTrace })).toBeVisible();
  await expect(page.getByTestId("trace-duration")).toHaveText("40.0 ms");

  // the switch is controlled by the URL: it shows checked once the URL says so
  await page.getByLabel("show them in one timeline").click();
  await expect(page).toHaveURL(/stitch=1/);
  await expect(page.getByLabel("show them in one timeline")).toBeChecked();
  const consumer = wf.locator(`[data-span-id="${ids.consume}"]`);
  await expect(consumer).toContainText("process from orders.placed by inventory");
  await expect(consumer).toContainText("(linked)");
  await expect(consumer).toContainText("250 ms");
  await expect(consumer.getByTestId("broker-wait")).toHaveAttribute("title", /waited 1 h 0 min in orders.placed/);
  await expect(page.getByTestId("trace-duration")).toHaveText("1 h 0 min");
  // the idle hour is cut short on the axis, so the 40 ms request and the 250 ms consumer both stay readable
  await expect(page.getByTestId("axis-break")).toContainText("1 h 0 min");
  const rootBar = wf.locator(`[data-span-id="${ids.root}"] .wf-bar`);
  expect(Number((await rootBar.getAttribute("style"))?.match(/width: max\(2px, ([\d.]+)%\)/)?.[1])).toBeGreaterThan(10);

  // the stitched view survives a reload from the URL, and a span's details show its attributes as text
  await wf.locator(`[data-span-id="${ids.send}"]`).click();
  await expect(page).toHaveURL(new RegExp(`span=${ids.producerTrace}%3A${ids.send}|span=${ids.producerTrace}:${ids.send}`));
  await page.reload();
  await expect(page.getByTestId("span-details")).toContainText("<img src=x onerror=alert(1)>");
  await expect(page.locator("img[src=x]")).toHaveCount(0);

  // find by id from the search page
  await page.goto("/traces");
  await page.getByLabel("Trace id").fill(ids.consumerTrace.toUpperCase());
  await page.getByRole("button", { name: "open" }).click();
  await expect(page).toHaveURL(new RegExp(`/traces/${ids.consumerTrace}`));
  await expect(page.getByTestId("waterfall")).toContainText("process from orders.placed by inventory");
});

test("the trace search lists the demo's traces and keeps its filters in the URL", async ({ page }) => {
  await page.goto("/traces?service=order-service");
  const rows = page.getByTestId("traces-table").locator("tbody tr");
  await expect(rows.first()).toContainText("order-service", { timeout: 45_000 });
  await page.getByRole("button", { name: "15m" }).click();
  await expect(page).toHaveURL(/range=15m/);
  await rows.first().getByRole("link").click();
  await expect(page.getByTestId("waterfall")).toContainText(/publish to shop\.orders/, { timeout: 20_000 });
});

test("a demo dead letter opens its trace, and the trace lists the dead letter", async ({ page, request }) => {
  // a dead letter whose trace the demo services exported (the one a rejected payment died in)
  let found: { id: number; traceId: string } | undefined;
  await expect
    .poll(
      async () => {
        const list = await (await request.get("/api/v1/dead-letters?system=rabbitmq&limit=50")).json();
        for (const d of list.items as { id: number; traceId: string | null }[]) {
          if (d.traceId && (await request.get(`/api/v1/traces/${d.traceId}`)).ok()) {
            found = { id: d.id, traceId: d.traceId };
            return true;
          }
        }
        return false;
      },
      { timeout: 45_000 },
    )
    .toBe(true);
  const trace = await (await request.get(`/api/v1/traces/${found!.traceId}`)).json();
  expect(trace.deadLetters.map((d: { id: number }) => d.id)).toContain(found!.id);

  await page.goto(`/dead-letters/${found!.id}`);
  await page.getByTestId("dead-letter-trace").click();
  await expect(page).toHaveURL(new RegExp(`/traces/${found!.traceId}`));
  const section = page.getByTestId("trace-dead-letters");
  await expect(section.getByRole("link", { name: new RegExp(`#${found!.id} rabbitmq`) })).toBeVisible({ timeout: 20_000 });
  await section.getByRole("link", { name: new RegExp(`#${found!.id} rabbitmq`) }).click();
  await expect(page).toHaveURL(new RegExp(`/dead-letters/${found!.id}$`));
});
