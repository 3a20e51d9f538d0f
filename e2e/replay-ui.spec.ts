import { randomBytes } from "node:crypto";
import { expect, test, type Browser, type Page } from "@playwright/test";
import pg from "pg";
import { rawRequest, startDashboard, type DashboardServer } from "./dashboard-server";

/**
 * The replay workbench in the browser, on a token-mode dashboard from the same build (a viewer and an operator):
 * a viewer sees no replay, discard or edit control and the API refuses them; an operator plans a failure group's
 * replay (a dry run) and sees the plan, selects and discards from the list, and edits and replays a dead letter whose
 * payload, headers and destination hold markup, which stays text on the message view, the edit form and the replay
 * page. Dead letters are inserted straight into the dashboard's database; nothing here is sent to a broker except
 * the one edited replay, whose destination is no valid topic name.
 */

const run = randomBytes(4).toString("hex");
const tokens = { viewer: `rv-${randomBytes(16).toString("hex")}`, operator: `ro-${randomBytes(16).toString("hex")}` };
const users = { viewer: `val-${run}`, operator: `oli-${run}` };
const databaseUrl = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/switchyard_test";
const hostile = `<img src=x onerror=window.__x=1><script>window.__x=2</script>`;
const marker = `replay-ui-${run}`;
const group = `${run}00000001`;

let dash: DashboardServer;
let hostileId: number;

interface Row {
  source: string;
  payload?: string;
  status?: string;
  group?: string | null;
  destination?: string | null;
  headers?: Record<string, unknown>;
  error?: string | null;
}

async function insert(rows: Row[], copies = 1): Promise<number[]> {
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    const ids: number[] = [];
    for (const [n, r] of rows.entries()) {
      const payload = Buffer.from(r.payload ?? `{"n":${n}}`, "utf8");
      const q = await c.query<{ id: string }>(
        `INSERT INTO dead_letters (system, source_name, source, dedup_key, payload, payload_size, status, failure_group, failure_message, original_destination, headers, error_message)
         SELECT 'kafka', 'local', $1, $1 || ':' || $2 || ':' || g, $3, $4, $5, $6, $7, $8, $9::jsonb, $10 FROM generate_series(1, $11) g RETURNING id`,
        [r.source, n, payload, payload.length, r.status ?? "new", r.group ?? null, r.group ? `e2e replay <b>group</b> ${run}` : null, r.destination ?? null, JSON.stringify(r.headers ?? {}), r.error ?? null, copies],
      );
      ids.push(...q.rows.map((x) => Number(x.id)));
    }
    return ids;
  } finally {
    await c.end();
  }
}

async function signIn(browser: Browser, who: keyof typeof tokens): Promise<Page> {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await page.goto(`${dash.url}/sign-in`);
  await page.getByLabel("Token").fill(tokens[who]);
  await page.getByRole("button", { name: "Sign in" }).click();
  // from the moment the header names the user, /api/v1/me has answered and the controls are what the role allows
  await expect(page.locator(".identity")).toContainText(`${users[who]} (${who})`);
  return page;
}

const xOf = (page: Page) => page.evaluate(() => (window as unknown as { __x?: number }).__x);

test.describe.configure({ mode: "serial" });

test.beforeAll(async () => {
  test.setTimeout(120_000);
  dash = await startDashboard(3211, {
    AUTH_MODE: "token",
    AUTH_TOKENS: `${users.viewer}:viewer:${tokens.viewer},${users.operator}:operator:${tokens.operator}`,
    SESSION_SECRET: randomBytes(32).toString("hex"),
  });
  // a failure group of three: two new, one replayed already (skipped unless forced)
  await insert([
    { source: `${marker}-g.DLT`, group, destination: `${marker}-orders[0]@1` },
    { source: `${marker}-g.DLT`, group, destination: `${marker}-orders[0]@2` },
    { source: `${marker}-g.DLT`, group, destination: `${marker}-orders[0]@3`, status: "replayed" },
  ]);
  const hostileIds = await insert([
    {
      source: `${marker}-h.DLT`,
      payload: hostile,
      // no valid Kafka topic name: a replay of it sends nothing anywhere
      destination: hostile,
      error: hostile,
      headers: { "x-note": hostile, "kafka_dlt-exception-message": hostile, "x-count": "3" },
    },
  ]);
  hostileId = hostileIds[0]!;
});

test.afterAll(async () => {
  await dash?.stop();
});

test("a viewer sees no replay, discard or edit control, and the API answers 403 to each", async ({ browser }) => {
  const page = await signIn(browser, "viewer");
  await page.goto(`${dash.url}/dead-letters?q=${marker}`);
  const row = page.getByTestId(`group-${group}`);
  await expect(row).toContainText("e2e replay <b>group</b>");
  await expect(page.getByTestId("dead-letters-table").locator("tbody tr")).toHaveCount(4);
  for (const id of ["replay-group", "discard-group", "select-row", "select-page", "selection-bar", "replay-all-matching"]) await expect(page.getByTestId(id)).toHaveCount(0);
  await expect(page.getByTestId("dead-letters-table").getByRole("checkbox")).toHaveCount(0);

  await page.goto(`${dash.url}/dead-letters/${hostileId}`);
  await expect(page.getByTestId("payload")).toHaveText(hostile);
  for (const id of ["replay-one", "edit-and-replay", "discard"]) await expect(page.getByTestId(id)).toHaveCount(0);

  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Replays", exact: true }).click();
  await expect(page).toHaveURL(`${dash.url}/replays`);
  await expect(page.getByRole("heading", { name: "Replays" })).toBeVisible();

  // the same session's cookie, and a bearer token: refused with the role needed
  const viaCookie = await page.request.post(`${dash.url}/api/v1/replays`, { data: { groupId: group, dryRun: true } });
  expect(viaCookie.status()).toBe(403);
  expect(await viaCookie.json()).toMatchObject({ error: { code: "forbidden", details: { needed: "operator", role: "viewer" } } });
  const bearer = { authorization: `Bearer ${tokens.viewer}` };
  for (const [path, body] of [
    ["/api/v1/replays", { ids: [hostileId] }],
    ["/api/v1/replays", { groupId: group, dryRun: true }],
    [`/api/v1/dead-letters/${hostileId}/edit-and-replay`, { payload: { text: "x" } }],
    ["/api/v1/dead-letters/discard", { ids: [hostileId], reason: "no" }],
  ] as const) {
    const r = await rawRequest(`${dash.url}${path}`, { method: "POST", headers: bearer, body });
    expect(r.status, `${path}: ${r.text}`).toBe(403);
  }
  const still = await rawRequest(`${dash.url}/api/v1/dead-letters/${hostileId}`, { headers: bearer });
  expect((still.json as { status: string }).status).toBe("new");
  await page.context().close();
});

test("an operator runs a dry run on a failure group and sees the plan; force plans again; nothing changes", async ({ browser }) => {
  const page = await signIn(browser, "operator");
  await page.goto(`${dash.url}/dead-letters?q=${marker}`);
  const row = page.getByTestId(`group-${group}`);
  await expect(row).toContainText("e2e replay <b>group</b>");
  await row.getByTestId("replay-group").click();
  const panel = page.getByTestId(`group-replay-${group}`).getByTestId("replay-panel");
  await expect(panel.getByTestId("plan-total")).toHaveText("3");
  await expect(panel.getByTestId("plan-sendable")).toHaveText("2");
  await expect(panel.getByTestId("plan-destinations")).toContainText(`${marker}-orders`);
  await expect(panel.getByTestId("plan-skipped-reasons")).toContainText("already replayed (force to send again)");
  await expect(panel.getByTestId("replay-rate")).toHaveValue("50");
  await expect(panel.getByTestId("replay-send")).toHaveText("Replay 2 messages");
  await panel.getByTestId("replay-force").check();
  await expect(panel.getByTestId("plan-sendable")).toHaveText("3");
  await expect(panel.getByTestId("replay-send")).toHaveText("Replay 3 messages");
  await expect(panel.getByTestId("plan-skipped-reasons")).toHaveCount(0);
  // a typed destination is planned again before it can be sent
  await panel.getByTestId("replay-destination").fill(`${marker}-elsewhere`);
  await expect(panel.getByTestId("replay-replan")).toBeVisible();
  await panel.getByTestId("replay-replan").click();
  await expect(panel.getByTestId("plan-destinations")).toContainText(`${marker}-elsewhere`);
  await panel.getByTestId("replay-rate").fill("0");
  await expect(panel.getByTestId("replay-send")).toBeDisabled();
  await panel.getByTestId("replay-panel-close").click();
  await expect(page.getByTestId("replay-panel")).toHaveCount(0);

  // dry runs are recorded with their plans, done, and sent nothing: the group's dead letters are as they were
  const op = { authorization: `Bearer ${tokens.operator}` };
  const runs = await rawRequest(`${dash.url}/api/v1/replays?dryRuns=true&limit=200`, { headers: op });
  const mine = (runs.json as { items: { dryRun: boolean; status: string; selection: { groupId?: string }; plan: { total: number }; requestedBy: string }[] }).items.filter((r) => r.selection.groupId === group);
  expect(mine.length).toBeGreaterThanOrEqual(3);
  for (const r of mine) expect(r).toMatchObject({ dryRun: true, status: "done", requestedBy: users.operator, plan: { total: 3 } });
  const list = await rawRequest(`${dash.url}/api/v1/dead-letters?group=${group}`, { headers: op });
  expect((list.json as { items: { status: string }[] }).items.map((d) => d.status).sort()).toEqual(["new", "new", "replayed"]);
  await page.context().close();
});

test("an operator selects rows, all on the page and all N matching, and discards them with a reason", async ({ browser }) => {
  const source = `${marker}-many.DLT`;
  await insert([{ source }], 120);
  const page = await signIn(browser, "operator");
  await page.goto(`${dash.url}/dead-letters?source=${source}&exact=true`);
  const table = page.getByTestId("dead-letters-table");
  await expect(table.locator("tbody tr")).toHaveCount(100);
  await table.getByTestId("select-row").nth(0).check();
  await table.getByTestId("select-row").nth(1).check();
  await expect(page.getByTestId("selection-count")).toHaveText("2 selected");
  await page.getByTestId("select-page").check();
  await expect(page.getByTestId("selection-count")).toHaveText("100 selected");
  // N from a dry-run plan of the filter
  await expect(page.getByTestId("select-all-matching")).toHaveText("Select all 120 matching");
  await page.getByTestId("select-all-matching").click();
  await expect(page.getByTestId("selection-count")).toHaveText("all 120 matching the filter");
  await page.getByTestId("discard-selection").click();
  await expect(page.getByTestId("discard-confirm")).toBeDisabled();
  await page.getByTestId("discard-reason").fill("e2e: <b>not</b> needed");
  await page.getByTestId("discard-confirm").click();
  await expect(page.getByTestId("discard-result")).toHaveText("discarded 120");
  await expect(page.getByTestId("selection-count")).toHaveText("none selected");
  await expect(table.getByTestId("dl-status").first()).toHaveText("discarded");
  // dates stay on one line, long names are cut with the whole name on hover
  await expect(table.locator("tbody tr").first().locator("td.dl-clip").first()).toHaveAttribute("title", source);
  await page.context().close();
});

test("a payload, headers and a destination holding markup stay text on the message view, the edit form and the replay page", async ({ browser }) => {
  const page = await signIn(browser, "operator");
  await page.goto(`${dash.url}/dead-letters/${hostileId}`);
  await expect(page.getByTestId("payload")).toHaveText(hostile);
  await expect(page.getByTestId("headers")).toContainText(hostile);
  await expect(page.locator("img[src=x]")).toHaveCount(0);

  await page.getByTestId("edit-and-replay").click();
  const form = page.getByTestId("edit-form");
  await expect(form.getByTestId("edit-payload")).toHaveValue(hostile);
  // the application's headers, prefilled as JSON; the dead-lettering's are named and left out
  const headers = JSON.parse(await form.getByTestId("edit-headers").inputValue()) as Record<string, string>;
  expect(headers).toEqual({ "x-note": hostile, "x-count": "3" });
  await expect(form.getByTestId("edit-reserved")).toContainText("kafka_dlt-exception-message");

  // a reserved header: the API's 400, naming it, inline
  await form.getByTestId("edit-headers").fill(JSON.stringify({ ...headers, "x-death": "[]" }));
  await form.getByTestId("edit-send").click();
  await expect(form.getByTestId("edit-error")).toContainText("x-death");
  await form.getByTestId("edit-headers").fill("{ not json");
  await form.getByTestId("edit-send").click();
  await expect(form.getByTestId("edit-error")).toContainText("headers: not JSON");
  expect(await xOf(page)).toBeUndefined();

  await form.getByTestId("edit-headers").fill(JSON.stringify({ ...headers, "x-note": "fixed" }));
  await form.getByTestId("edit-payload").fill(`${hostile} edited`);
  await form.getByTestId("edit-reason").fill("e2e: <i>fix</i>");
  await form.getByTestId("edit-send").click();
  await expect(page).toHaveURL(new RegExp(`${dash.url}/replays/\\d+$`));
  const replayId = Number(new URL(page.url()).pathname.split("/").pop());
  await expect(page.getByRole("heading", { name: `Replay #${replayId}` })).toBeVisible();
  await expect(page.getByTestId("plan-destinations")).toContainText(hostile);
  await expect(page.getByTestId("replay-progress")).toBeVisible();
  const item = page.getByTestId("replay-items").locator("tbody tr").first();
  await expect(item.getByTestId("item-dead-letter")).toHaveAttribute("href", new RegExp(`/dead-letters/${hostileId}$`));
  await expect(item.locator("td").nth(2)).toHaveText(hostile);
  await expect(item.locator("span.tag").first()).toContainText("edited");
  await expect(page.locator("img[src=x]")).toHaveCount(0);
  expect(await xOf(page)).toBeUndefined();

  // cancel it (the replay engine may have ended it already: then there is nothing to cancel)
  const cancel = page.getByTestId("replay-cancel");
  if (await cancel.isVisible()) {
    page.once("dialog", (d) => void d.accept());
    await cancel.click();
    // cancelled, or (a 409 shown, when the engine ended it first) finished: either way the page shows the end
    const badge = page.getByTestId("replay-fields").locator(".replay-status");
    await expect(badge).toHaveText(/cancelled|failed|done/);
    if ((await badge.textContent()) === "cancelled") await expect(page.getByTestId("replay-controls")).toHaveCount(0);
    else await expect(page.getByTestId("replay-control-error")).toBeVisible();
  }
  // a finished replay cannot be resumed: 409
  const resume = await rawRequest(`${dash.url}/api/v1/replays/${replayId}/resume`, { method: "POST", headers: { authorization: `Bearer ${tokens.operator}` }, body: {} });
  expect(resume.status, resume.text).toBe(409);

  // a dead letter that came back from this replay links to it (from its x-switchyard-replay-id header)
  const [back] = await insert([{ source: `${marker}-back.DLT`, payload: hostile, headers: { "x-switchyard-replay-id": String(replayId) }, status: "failed_again" }]);
  await page.goto(`${dash.url}/dead-letters/${back}`);
  await expect(page.getByTestId("came-back-from")).toHaveAttribute("href", new RegExp(`/replays/${replayId}$`));
  await expect(page.locator(".fields")).toContainText("failed again");
  expect(await xOf(page)).toBeUndefined();
  await page.context().close();
});
