import { randomBytes } from "node:crypto";
import { expect, test, type Browser, type Page } from "@playwright/test";
import { startDashboard, type DashboardServer } from "./dashboard-server";

/**
 * The Alerts page: an admin adds a rule on the demo's dead-letter queue and sees it fire (the e2e stack's collectors
 * evaluate every 2 s), changes it so it no longer holds and sees it resolve, deletes it; a viewer sees the rules and
 * what fires, and no control.
 */
const admin = "e2e-alerts-admin";
const viewer = "e2e-alerts-viewer";
const adminToken = randomBytes(16).toString("hex");
const viewerToken = randomBytes(16).toString("hex");
let dash: DashboardServer;

test.beforeAll(async () => {
  test.setTimeout(90_000);
  dash = await startDashboard(3214, {
    AUTH_MODE: "token",
    AUTH_TOKENS: `${admin}:admin:${adminToken},${viewer}:viewer:${viewerToken}`,
    SESSION_SECRET: randomBytes(32).toString("hex"),
  });
});

test.afterAll(async () => {
  await dash?.stop();
});

async function signIn(browser: Browser, token: string, who: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${dash.url}/sign-in`);
  await page.getByLabel("Token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.locator(".identity")).toContainText(who);
  return page;
}

test("an admin adds a rule on the Alerts page and sees it fire; changed so it no longer holds, it resolves; deleted; a viewer has no control and the API answers 403", async ({ browser }) => {
  test.setTimeout(180_000);
  const name = `e2e-dlq-${randomBytes(3).toString("hex")}`;
  const page = await signIn(browser, adminToken, admin);
  await page.goto(`${dash.url}/alerts`);
  const form = page.getByTestId("alert-rule-form");
  await form.getByLabel("Rule name").fill(name);
  await form.getByLabel("Kind").selectOption("dead_letters_growth");
  await form.getByLabel("Threshold").fill("1");
  await form.getByLabel("Window minutes").fill("10");
  await form.getByLabel("Scope source").fill("shop.payments.requests.dlq");
  await form.getByLabel("Labels").fill("team=payments");
  await form.getByRole("button", { name: "Add rule" }).click();
  await expect(page.getByTestId("alert-rules").locator(`tr[data-rule="${name}"]`)).toContainText("dead_letters_growth");
  // the demo declines payments all the time: the rule fires within a few evaluations
  const firing = page.getByTestId("alerts-firing").locator(`li[data-rule="${name}"]`);
  await expect(firing).toBeVisible({ timeout: 60_000 });
  await expect(firing).toContainText("shop.payments.requests.dlq");
  await firing.getByRole("link").click();
  await expect(page).toHaveURL(/\/dead-letters\?system=rabbitmq&broker=local&vhost=%2F&source=shop\.payments\.requests\.dlq&exact=true/);

  // a name taken: the API's 409, shown
  await page.goto(`${dash.url}/alerts`);
  await form.getByLabel("Rule name").fill(name);
  await form.getByLabel("Kind").selectOption("otlp_refusals");
  await form.getByRole("button", { name: "Add rule" }).click();
  await expect(page.getByTestId("alert-rule-error")).toContainText(`an alert rule named '${name}' exists`);

  // a viewer: rules and what fires, no control; the API refuses
  const v = await signIn(browser, viewerToken, viewer);
  await v.goto(`${dash.url}/alerts`);
  await expect(v.getByTestId("alert-rules").locator(`tr[data-rule="${name}"]`)).toBeVisible();
  await expect(v.getByTestId("alert-rule-form")).toHaveCount(0);
  await expect(v.getByRole("button", { name: `Delete rule ${name}` })).toHaveCount(0);
  const denied = await v.request.post(`${dash.url}/api/v1/alerts/rules`, { data: { name: `${name}-v`, kind: "otlp_refusals", severity: "info" }, headers: { origin: dash.url } });
  expect(denied.status()).toBe(403);

  // changed so that it no longer holds (100,000 dead letters in 10 minutes): what it fired resolves, and the history
  // says both; then deleted
  await page.getByRole("button", { name: `Change rule ${name}` }).click();
  await expect(form.getByRole("heading")).toHaveText(`Change rule ${name}`);
  await expect(form.getByLabel("Scope source")).toHaveValue("shop.payments.requests.dlq");
  await form.getByLabel("Threshold").fill("100000");
  await form.getByRole("button", { name: "Save rule" }).click();
  await expect(page.getByTestId("alert-rules").locator(`tr[data-rule="${name}"]`)).toContainText("100000");
  await expect(page.getByTestId("alerts-history")).toContainText(`resolved ${name}`, { timeout: 30_000 });
  await expect(page.getByTestId("alerts-history")).toContainText(`fired ${name}`);
  await expect(page.getByTestId("alerts-firing").locator(`li[data-rule="${name}"]`)).toHaveCount(0);
  await page.getByRole("button", { name: `Delete rule ${name}` }).click();
  await expect(page.getByTestId("alert-rules").locator(`tr[data-rule="${name}"]`)).toHaveCount(0);
  const changed = await (await page.request.get(`${dash.url}/api/v1/audit?action=alerts.rule.update`)).json();
  expect(JSON.stringify(changed.items)).toContain("100000");
  const audit = await (await page.request.get(`${dash.url}/api/v1/audit?action=alerts.rule.create`)).json();
  expect(JSON.stringify(audit.items)).toContain(admin);
});

test("a rule's body that is not UTF-8, not JSON or not sent as JSON is a 400 naming it; the same rule in UTF-8 is kept as sent", async ({ request }) => {
  const auth = { authorization: `Bearer ${adminToken}` };
  const name = `utf8-${randomBytes(4).toString("hex")}`;
  const json = (s: string, enc: BufferEncoding = "latin1") => Buffer.concat([Buffer.from(`{"name":"${name}","kind":"otlp_refusals","severity":"info","labels":{"team":"`), Buffer.from(s, enc), Buffer.from('"}}')]);
  for (const [data, type, message] of [
    [json("caf\xe9"), "application/json", /^body: not valid UTF-8/], // a Latin-1 é: once stored as U+FFFD
    [json("\xc3"), "application/json", /^body: not valid UTF-8/], // a sequence cut short
    [Buffer.from("{"), "application/json", /^body: not valid JSON/],
    [Buffer.from("{}"), "text/plain", /^body: send it as JSON/],
  ] as const) {
    const r = await request.post(`${dash.url}/api/v1/alerts/rules`, { data, headers: { ...auth, "content-type": type } });
    expect(r.status(), String(data)).toBe(400);
    expect((await r.json()).error.message, String(data)).toMatch(message);
  }
  // the same body in UTF-8 is taken (so the refusals above were for the bytes, not the rule)
  const ok = await request.post(`${dash.url}/api/v1/alerts/rules`, { data: json("café", "utf8"), headers: { ...auth, "content-type": "application/json" } });
  expect(ok.status(), await ok.text()).toBe(201);
  const listed = JSON.stringify(await (await request.get(`${dash.url}/api/v1/alerts`, { headers: auth })).json());
  expect(listed).toContain("café");
  expect(listed).not.toContain("\ufffd");
  const made = (await ok.json()) as { id: number | string };
  expect((await request.delete(`${dash.url}/api/v1/alerts/rules/${made.id}`, { headers: auth })).status()).toBeLessThan(300);
});

