import { randomBytes } from "node:crypto";
import { expect, test, type Browser, type Page } from "@playwright/test";
import { rawRequest, startDashboard, type DashboardServer } from "./dashboard-server";

/**
 * The replay of issue 13's proof, end to end on the demo the e2e stack runs (playwright.config.ts: 15% of payments
 * declined, DEMO_DECLINES=first, so the payment service accepts a replayed declined payment): an operator opens the
 * largest failure group of the demo's payment dead-letter queue, runs a dry run, replays the group at 20/s, watches
 * the progress bar reach the end and the counts settle (every message sent processed, seen from the payment
 * service's consumer span under the replay's span), and finds the group's messages replayed and the replay's items
 * processed. On a token-mode dashboard from the same build, to sign in as an operator (the stack's own is open mode,
 * viewer). The test database is shared by every run: the list is narrowed to the demo's dead-letter queue so its
 * largest group is the declined payments whatever other runs left, and only the group's new dead letters are sent
 * (those replayed by an earlier run are skipped by the plan).
 */

const run = randomBytes(4).toString("hex");
const token = `rd-${randomBytes(16).toString("hex")}`;
const user = `opal-${run}`;
const bearer = { authorization: `Bearer ${token}` };
const dlq = "shop.payments.requests.dlq";
const rate = 20;
/** new dead letters the group must hold before it is replayed (the demo declines about one payment a second) */
const minNew = 10;

let dash: DashboardServer;

interface Replay {
  id: number;
  status: string;
  total: number;
  sent: number;
  confirmed: number;
  processed: number;
  failedAgain: number;
  skipped: number;
  uncertain: number;
  remaining: number;
  notObserved: number;
  ratePerSecond: number;
  startedAt: string | null;
  finishedAt: string | null;
  requestedBy: string;
}
interface Item {
  id: number;
  deadLetterId: number;
  status: string;
  traceId: string | null;
  failedAgainAs: number | null;
}

async function api<T>(path: string): Promise<T> {
  const r = await rawRequest(`${dash.url}${path}`, { headers: bearer });
  expect(r.status, `${path}: ${r.text}`).toBe(200);
  return r.json as T;
}

/** Every item of a replay (the API pages them). */
async function itemsOf(id: number, status?: string): Promise<Item[]> {
  const out: Item[] = [];
  let cursor = "";
  for (;;) {
    const page = await api<{ items: Item[]; nextCursor: string | null }>(`/api/v1/replays/${id}/items?limit=500${status ? `&status=${status}` : ""}${cursor ? `&cursor=${cursor}` : ""}`);
    out.push(...page.items);
    if (!page.nextCursor) return out;
    cursor = page.nextCursor;
  }
}

async function signIn(browser: Browser): Promise<Page> {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await page.goto(`${dash.url}/sign-in`);
  await page.getByLabel("Token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.locator(".identity")).toContainText(`${user} (operator)`);
  return page;
}

/** A group's status cell as numbers: "new 12 · replayed 150 · failed_again 1" → { new: 12, replayed: 150, failed_again: 1 }. */
function statusCountsOf(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/([a-z_]+) ([0-9,]+)/g)) out[m[1]!] = Number(m[2]!.replace(/,/g, ""));
  return out;
}

/** The page has drawn its data: no "Loading …" left anywhere. */
async function noLoading(page: Page) {
  await expect(page.getByText(/Loading\b/)).toHaveCount(0);
  await expect(page.locator("[aria-busy=true]")).toHaveCount(0);
}

/** Loads every page of a paged list on the page ("older" until there is none). */
async function loadAll(page: Page) {
  const older = page.getByRole("button", { name: "older" });
  while (await older.isVisible()) {
    const rows = await page.getByTestId("replay-items").locator("tbody tr").count();
    await older.click();
    await expect.poll(() => page.getByTestId("replay-items").locator("tbody tr").count()).toBeGreaterThan(rows);
  }
}

test.beforeAll(async () => {
  test.setTimeout(90_000);
  dash = await startDashboard(3213, {
    AUTH_MODE: "token",
    AUTH_TOKENS: `${user}:operator:${token}`,
    SESSION_SECRET: randomBytes(32).toString("hex"),
  });
});

test.afterAll(async () => {
  await dash?.stop();
});

test("an operator replays the demo's largest failure group at 20/s and sees it replayed and processed", async ({ browser }) => {
  test.setTimeout(15 * 60_000);
  const page = await signIn(browser);
  const groupsUrl = `${dash.url}/dead-letters?source=${dlq}&exact=true&refresh=2`;
  await page.goto(groupsUrl);
  const groups = page.getByTestId("failure-groups");
  const first = groups.locator("tbody tr[data-testid^='group-']").first();
  const statusCell = first.locator("td").nth(6);
  // the demo declines about one payment a second, captured from the queue every 2 s: wait for enough new ones
  await expect
    .poll(async () => ((await first.isVisible()) ? (statusCountsOf((await statusCell.textContent()) ?? "").new ?? 0) : 0), {
      message: `the largest failure group of ${dlq} has at least ${minNew} new dead letters`,
      timeout: 180_000,
      intervals: [2_000],
    })
    .toBeGreaterThanOrEqual(minNew);
  const groupId = (await first.getAttribute("data-testid"))!.slice("group-".length);
  const row = page.getByTestId(`group-${groupId}`);
  // RabbitMQ, the payments queue, rejected by the payment service (the declined cards)
  await expect(row.locator("td").nth(1)).toHaveText(/^RabbitMQshop\.payments\.requests$/);
  await expect(row.locator("td").nth(2)).toContainText("rejected");
  const count = Number((await row.locator("td").first().textContent())!.replace(/,/g, ""));
  const before = statusCountsOf((await row.locator("td").nth(6).textContent()) ?? "");
  expect(count).toBeGreaterThanOrEqual(minNew);
  // the largest of the demo's queue by the API too
  const listed = await api<{ items: { id: string; count: number }[] }>(`/api/v1/dead-letters/groups?source=${dlq}&exact=true`);
  expect(listed.items[0]?.id).toBe(groupId);
  await noLoading(page);

  // the dry run: the plan shows before anything is sent
  await row.getByTestId("replay-group").click();
  const panel = page.getByTestId(`group-replay-${groupId}`).getByTestId("replay-panel");
  await expect(panel).toContainText(`Replay failure group ${groupId}`);
  await expect(panel.getByText(/^Dry run #\d+: nothing was sent\.$/)).toBeVisible();
  const planned = Number((await panel.getByTestId("plan-total").textContent())!.replace(/,/g, ""));
  const sendable = Number((await panel.getByTestId("plan-sendable").textContent())!.replace(/,/g, ""));
  expect(planned).toBeGreaterThanOrEqual(count);
  expect(sendable).toBeGreaterThanOrEqual(before.new!);
  await expect(panel.getByTestId("plan-destinations")).toContainText("RabbitMQ");
  await expect(panel.getByTestId("plan-destinations")).toContainText("shop.payments");
  if (before.replayed) await expect(panel.getByTestId("plan-skipped-reasons")).toContainText("already replayed (force to send again)");
  await expect(panel.getByTestId("replay-rate")).toHaveValue("50");
  await panel.getByTestId("replay-rate").fill(String(rate));
  await expect(panel.getByTestId("replay-send")).toHaveText(`Replay ${sendable.toLocaleString("en-US")} messages`);
  await expect(panel.getByTestId("replay-send")).toBeEnabled();
  await panel.getByTestId("replay-send").click();

  // the replay's page: the bar moves to the end while it runs
  await expect(page).toHaveURL(new RegExp(`${dash.url}/replays/\\d+$`));
  const replayId = Number(new URL(page.url()).pathname.split("/").pop());
  await expect(page.getByRole("heading", { name: `Replay #${replayId}` })).toBeVisible();
  const fields = page.getByTestId("replay-fields");
  await expect(fields).toContainText(`failure group ${groupId}`);
  await expect(fields).toContainText(user);
  const bar = page.getByRole("progressbar", { name: "replay progress" });
  await expect(bar).toBeVisible();
  const badge = fields.locator(".replay-status");
  const seen: number[] = [];
  const sendSeconds = sendable / rate;
  await expect
    .poll(
      async () => {
        seen.push(Number(await bar.getAttribute("aria-valuenow")));
        return badge.textContent();
      },
      { message: "the replay ends done", timeout: (sendSeconds * 2 + 60) * 1000, intervals: [500] },
    )
    .toBe("done");
  await expect(bar).toHaveAttribute("aria-valuenow", "100");
  seen.push(100);
  // the bar only ever moved forward, and was seen short of the end on the way (unless the replay was over at once)
  for (let i = 1; i < seen.length; i++) expect(seen[i]!, `progress ${seen.join(", ")}`).toBeGreaterThanOrEqual(seen[i - 1]!);
  if (sendSeconds >= 3) expect(Math.min(...seen), `progress ${seen.join(", ")}`).toBeLessThan(100);

  const done = await api<Replay>(`/api/v1/replays/${replayId}`);
  const n = done.sent;
  expect(done).toMatchObject({ status: "done", ratePerSecond: rate, requestedBy: user, remaining: 0, uncertain: 0, confirmed: n });
  expect(n).toBeGreaterThanOrEqual(sendable);
  expect(done.total).toBe(n + done.skipped);

  // the counts settle on the page: every one sent processed (the consumer spans take a few seconds to arrive)
  const counts = page.getByTestId("replay-counts");
  const countOf = (k: string) => counts.locator(`[data-count="${k}"] strong`);
  await expect(countOf("sent")).toHaveText(n.toLocaleString("en-US"));
  // items settle processed after "done", as their consumer spans arrive: the page keeps polling while confirmed items
  // wait for their span (stillChanging in lib/replay/progress.ts), so the counts climb to n with no reload
  await expect(countOf("processed"), "processed, as the live page shows it").toHaveText(n.toLocaleString("en-US"), { timeout: 60_000 });
  await expect(countOf("failed again")).toHaveText("0");
  await expect(countOf("not observed")).toHaveText("0");
  await expect(countOf("remaining")).toHaveText("0");
  await expect(page.getByTestId("replay-progress-label")).toHaveText(`${done.total.toLocaleString("en-US")} of ${done.total.toLocaleString("en-US")} finished (100%) · ${n.toLocaleString("en-US")} processed`);
  await expect(page.getByTestId("replay-legend").locator('[data-kind="processed"] strong')).toHaveText(n.toLocaleString("en-US"));
  const settled = await api<Replay>(`/api/v1/replays/${replayId}`);
  expect(settled).toMatchObject({ processed: n, failedAgain: 0, notObserved: 0, uncertain: 0 });

  // the rate held: n messages at 20/s take at least (n - 1) / 20 s, give or take 20%
  const took = (Date.parse(done.finishedAt!) - Date.parse(done.startedAt!)) / 1000;
  expect(took, `${n} sent in ${took} s`).toBeGreaterThanOrEqual(((n - 1) / rate) * 0.8);

  // the items on the replay's page: every one sent is processed, each with its trace; none failed again or left unobserved
  const items = await itemsOf(replayId);
  const processed = items.filter((i) => i.status === "processed");
  expect(processed).toHaveLength(n);
  expect(items.filter((i) => i.status !== "processed" && i.status !== "skipped")).toEqual([]);
  const itemTable = page.getByTestId("replay-items");
  const itemStatus = page.getByLabel("Item status");
  await itemStatus.selectOption("processed");
  await expect(page).toHaveURL(/[?&]status=processed/);
  await expect(itemTable.locator("tbody tr").first()).toHaveAttribute("data-status", "processed");
  await loadAll(page);
  await expect(itemTable.locator("tbody tr")).toHaveCount(n);
  await expect(itemTable.locator("tbody tr:not([data-status='processed'])")).toHaveCount(0);
  await expect(itemTable.getByTestId("item-trace")).toHaveCount(n);
  const one = itemTable.getByTestId(`replay-item-${processed[0]!.id}`);
  await expect(one.locator(".replay-status")).toHaveText("processed");
  await expect(one.getByTestId("item-dead-letter")).toHaveText(`#${processed[0]!.deadLetterId}`);
  for (const s of ["failed_again", "confirmed", "pending", "sending", "uncertain"]) {
    await itemStatus.selectOption(s);
    await expect(page.getByText("No items match.")).toBeVisible();
  }
  await itemStatus.selectOption("");
  await noLoading(page);

  // back on the dead letters: the group counts them replayed, and none of them is new
  const replayedIds = new Set(processed.map((i) => i.deadLetterId));
  await page.goto(groupsUrl);
  const after = page.getByTestId(`group-${groupId}`);
  await expect
    .poll(async () => statusCountsOf((await after.locator("td").nth(6).textContent()) ?? "").replayed ?? 0, { message: "the group's replayed count" })
    .toBe((before.replayed ?? 0) + n);
  await expect(after.locator("td").nth(6)).not.toContainText("replaying");
  await noLoading(page);
  const stillNew = await api<{ items: { id: number }[]; nextCursor: string | null }>(`/api/v1/dead-letters?group=${groupId}&status=new&limit=500`);
  expect(stillNew.items.filter((d) => replayedIds.has(d.id))).toEqual([]);
  // the group's new dead letters on the page: those that died since the replay was planned, none of the replayed
  await page.goto(`${groupsUrl}&group=${groupId}&status=new`);
  await expect(page.getByRole("heading", { name: "Dead letters of the chosen group" })).toBeVisible();
  await noLoading(page);
  const newIds = await page
    .getByTestId("dead-letters-table")
    .locator("tbody tr")
    .evaluateAll((rows) => rows.map((r) => Number(r.getAttribute("data-testid")?.replace("dead-letter-", ""))));
  expect(newIds.filter((id) => replayedIds.has(id))).toEqual([]);
  // and the replayed ones, listed as replayed (the newest of them on the list's first page)
  await page.goto(`${groupsUrl}&group=${groupId}&status=replayed`);
  const table = page.getByTestId("dead-letters-table");
  const newest = Math.max(...replayedIds);
  await expect(table.getByTestId(`dead-letter-${newest}`).getByTestId("dl-status")).toHaveText("replayed");
  await expect(table.getByTestId("dl-status").filter({ hasNotText: "replayed" })).toHaveCount(0);
  await noLoading(page);
  await page.context().close();
});
