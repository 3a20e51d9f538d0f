import { randomBytes } from "node:crypto";
import { expect, test } from "@playwright/test";
import pg from "pg";
import { rawRequest, startDashboard, type DashboardServer, type RawAnswer } from "./dashboard-server";

/**
 * The auth modes on real dashboards from the same build: token mode (bearer tokens, cookie sign-in and sign-out,
 * roles, cross-site refusal) and proxy mode (trusted addresses only), each decision read back from the audit log;
 * and no secret in any answer or log line.
 */

const run = randomBytes(4).toString("hex");
const tokens = { viewer: `tv-${randomBytes(16).toString("hex")}`, operator: `to-${randomBytes(16).toString("hex")}`, admin: `ta-${randomBytes(16).toString("hex")}` };
const users = { viewer: `vera-${run}`, operator: `otto-${run}`, admin: `ada-${run}` };
const sessionSecret = randomBytes(32).toString("hex");
const databaseUrl = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/switchyard_test";

let token: DashboardServer;
let proxy: DashboardServer;
const seen: RawAnswer[] = [];
const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
async function call(base: string, path: string, opts: Parameters<typeof rawRequest>[1] = {}) {
  const r = await rawRequest(base + path, opts);
  seen.push(r);
  return r;
}

/** Dead letters of this run, inserted straight into the dashboard's database, for the discard calls. */
let inserted = 0;
async function insertDeadLetters(n: number, group: string | null = null): Promise<number[]> {
  const batch = ++inserted;
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    const r = await c.query<{ id: string }>(
      `INSERT INTO dead_letters (system, source_name, source, dedup_key, payload, payload_size, failure_group, failure_message)
       SELECT 'kafka', 'local', $1, $1 || ':' || g, convert_to('{"n":' || g || '}', 'UTF8'), 7, $3, 'e2e <b>group</b>' FROM generate_series(1, $2) g RETURNING id`,
      [`auth-e2e-${run}-${batch}.DLT`, n, group],
    );
    return r.rows.map((x) => Number(x.id));
  } finally {
    await c.end();
  }
}

async function auditOf(actor: string) {
  const r = await call(token.url, `/api/v1/audit?actor=${encodeURIComponent(actor)}&limit=200`, { headers: bearer(tokens.admin) });
  expect(r.status, r.text).toBe(200);
  return (r.json as { items: { action: string; outcome: string; targetId: string | null; details: Record<string, unknown>; role: string; clientAddress: string | null }[] }).items;
}

test.describe.configure({ mode: "serial" });

test.beforeAll(async () => {
  test.setTimeout(120_000);
  [token, proxy] = await Promise.all([
    startDashboard(3201, {
      AUTH_MODE: "token",
      AUTH_TOKENS: `${users.viewer}:viewer:${tokens.viewer},${users.operator}:operator:${tokens.operator},${users.admin}:admin:${tokens.admin}`,
      SESSION_SECRET: sessionSecret,
      // a TLS proxy in front at 127.0.0.1 names the client in X-Forwarded-For
      AUTH_PROXY_TRUSTED: "127.0.0.1/32",
    }),
    startDashboard(3202, {
      AUTH_MODE: "proxy",
      AUTH_PROXY_TRUSTED: "127.0.0.1/32",
      AUTH_PROXY_ROLES: "sre:operator,platform:admin",
      ALLOWED_HOSTS: "127.0.0.1:3202,localhost",
    }),
  ]);
});

test.afterAll(async () => {
  await Promise.all([token?.stop(), proxy?.stop()]);
});

test("token mode: no token or a wrong one is 401 for the API, a page without a session goes to sign-in", async () => {
  const none = await call(token.url, "/api/v1/health");
  expect(none.status).toBe(401);
  expect((none.json as { error: { code: string } }).error.code).toBe("unauthenticated");
  expect((await call(token.url, "/api/v1/health", { headers: bearer(`${tokens.viewer}x`) })).status).toBe(401);
  expect((await call(token.url, "/api/v1/dead-letters", { headers: { authorization: `Basic ${Buffer.from(`${users.viewer}:${tokens.viewer}`).toString("base64")}` } })).status).toBe(401);
  const page = await call(token.url, "/kafka?range=6h");
  expect(page.status).toBe(307);
  expect(page.headers.location).toMatch(/\/sign-in\?next=%2Fkafka%3Frange%3D6h$/);
  const signIn = await call(token.url, "/sign-in");
  expect(signIn.status).toBe(200);
});

test("token mode: roles from tokens, /me says what each may do, a viewer's mutation is 403 naming the role, an operator's is done", async () => {
  const v = await call(token.url, "/api/v1/me", { headers: bearer(tokens.viewer) });
  expect(v.json).toEqual({ user: users.viewer, role: "viewer", mode: "token", via: "token", can: { read: true, replay: false, discard: false, editMessages: false, editAlerts: false, configure: false } });
  const o = await call(token.url, "/api/v1/me", { headers: bearer(tokens.operator) });
  expect(o.json).toMatchObject({ role: "operator", can: { replay: true, discard: true, editAlerts: false } });
  expect((await call(token.url, "/api/v1/health", { headers: bearer(tokens.viewer) })).status).toBe(200);

  const [a, b] = await insertDeadLetters(2);
  const denied = await call(token.url, "/api/v1/dead-letters/discard", { method: "POST", headers: bearer(tokens.viewer), body: { ids: [a], reason: "e2e" } });
  expect(denied.status).toBe(403);
  expect(denied.json).toMatchObject({ error: { code: "forbidden", details: { needed: "operator", role: "viewer" } } });
  const still = await call(token.url, `/api/v1/dead-letters/${a}`, { headers: bearer(tokens.viewer) });
  expect((still.json as { status: string }).status).toBe("new");

  const done = await call(token.url, "/api/v1/dead-letters/discard", { method: "POST", headers: bearer(tokens.operator), body: { ids: [a, b, 999_999_999_999], reason: "e2e: known bad" } });
  expect(done.status, done.text).toBe(200);
  expect(done.json).toEqual({ changed: 2, ids: [a, b], skipped: 0, skippedIds: [], missing: [999_999_999_999] });
  const again = await call(token.url, "/api/v1/dead-letters/discard", { method: "POST", headers: bearer(tokens.operator), body: { ids: [a], reason: "again" } });
  expect(again.status).toBe(409);
  const bad = await call(token.url, "/api/v1/dead-letters/discard", { method: "POST", headers: bearer(tokens.operator), body: { ids: ["1 or 1=1"], reason: "x" } });
  expect(bad.status).toBe(400);

  const viewerLog = await auditOf(users.viewer);
  // a refused mutation records what it was asked to act on
  expect(viewerLog).toContainEqual(expect.objectContaining({ action: "dead_letters.discard", outcome: "denied", role: "viewer", targetId: String(a), details: expect.objectContaining({ ids: [a] }) }));
  const operatorLog = await auditOf(users.operator);
  const ok = operatorLog.find((e) => e.action === "dead_letters.discard" && e.outcome === "ok");
  expect(ok?.details).toMatchObject({ reason: "e2e: known bad", selection: { count: 3 }, discarded: 2, missing: 1 });
  expect(operatorLog.filter((e) => e.action === "dead_letters.discard" && e.outcome === "failed")).toHaveLength(2);
  const anonymous = await call(token.url, "/api/v1/audit?actor=anonymous&outcome=denied&limit=50", { headers: bearer(tokens.admin) });
  expect((anonymous.json as { items: { targetId: string }[] }).items.some((e) => e.targetId === "/api/v1/health")).toBe(true);
});

test("token mode: cookie sign-in and sign-out; a cross-site mutation with a valid cookie is 403", async () => {
  const wrong = await call(token.url, "/api/v1/session", { method: "POST", headers: { origin: token.url }, body: { token: "not-a-token" } });
  expect(wrong.status).toBe(401);
  expect(wrong.headers["set-cookie"]).toBeUndefined();

  const si = await call(token.url, "/api/v1/session", { method: "POST", headers: { origin: token.url, "sec-fetch-site": "same-origin" }, body: { token: tokens.operator } });
  expect(si.status, si.text).toBe(200);
  expect(si.json).toEqual({ user: users.operator, role: "operator" });
  const setCookie = String(si.headers["set-cookie"]);
  expect(setCookie).toMatch(/^switchyard_session=[^;]+;/);
  expect(setCookie).toMatch(/HttpOnly/i);
  expect(setCookie).toMatch(/SameSite=Lax/i);
  expect(setCookie).not.toContain(tokens.operator);
  const cookie = setCookie.split(";")[0]!;

  const me = await call(token.url, "/api/v1/me", { headers: { cookie } });
  expect(me.json).toMatchObject({ user: users.operator, role: "operator", via: "session" });
  expect((await call(token.url, "/kafka", { headers: { cookie } })).status).toBe(200);
  // a forged or tampered cookie is no session
  expect((await call(token.url, "/api/v1/me", { headers: { cookie: `${cookie.slice(0, -4)}AAAA` } })).status).toBe(401);

  const [id] = await insertDeadLetters(1);
  const cross = await call(token.url, "/api/v1/dead-letters/discard", { method: "POST", headers: { cookie, origin: "http://evil.example", "sec-fetch-site": "cross-site" }, body: { ids: [id], reason: "x" } });
  expect(cross.status).toBe(403);
  const crossOrigin = await call(token.url, "/api/v1/dead-letters/discard", { method: "POST", headers: { cookie, origin: "http://evil.example" }, body: { ids: [id], reason: "x" } });
  expect(crossOrigin.status).toBe(403);
  expect(((await call(token.url, `/api/v1/dead-letters/${id}`, { headers: { cookie } })).json as { status: string }).status).toBe("new");
  const same = await call(token.url, "/api/v1/dead-letters/discard", { method: "POST", headers: { cookie, origin: token.url, "sec-fetch-site": "same-origin" }, body: { ids: [id], reason: "x" } });
  expect(same.status, same.text).toBe(200);

  const crossOut = await call(token.url, "/api/v1/session", { method: "DELETE", headers: { cookie, origin: "http://evil.example", "sec-fetch-site": "cross-site" } });
  expect(crossOut.status).toBe(403);
  const out = await call(token.url, "/api/v1/session", { method: "DELETE", headers: { cookie, origin: token.url, "sec-fetch-site": "same-origin" } });
  expect(out.status).toBe(204);
  expect(String(out.headers["set-cookie"])).toMatch(/switchyard_session=;.*Max-Age=0/i);

  const log = await auditOf(users.operator);
  expect(log.map((e) => `${e.action}:${e.outcome}`)).toEqual(expect.arrayContaining(["session.sign_in:ok", "session.sign_out:ok", "dead_letters.discard:denied", "session.sign_out:denied"]));
  const deniedSignIn = await call(token.url, "/api/v1/audit?action=session.sign_in&outcome=denied&limit=20", { headers: bearer(tokens.admin) });
  expect((deniedSignIn.json as { items: unknown[] }).items.length).toBeGreaterThan(0);
});

test("token mode: an address that keeps failing to authenticate is answered 429 for a minute (a bearer token too, a session not); others are not", async () => {
  const from = { localAddress: "127.0.0.9" };
  const si = await call(token.url, "/api/v1/session", { ...from, method: "POST", body: { token: tokens.viewer } });
  const cookie = String(si.headers["set-cookie"]).split(";")[0]!;
  const statuses: number[] = [];
  for (let i = 0; i < 32; i++) statuses.push((await call(token.url, "/api/v1/me", { ...from, headers: bearer(`guess-${i}-${run}`) })).status);
  expect(statuses.slice(0, 30).every((x) => x === 401)).toBe(true);
  expect(statuses.slice(30)).toEqual([429, 429]);
  const right = await call(token.url, "/api/v1/me", { ...from, headers: bearer(tokens.viewer) });
  expect(right.status).toBe(429);
  expect(Number(right.headers["retry-after"])).toBeGreaterThan(0);
  expect((right.json as { error: { code: string } }).error.code).toBe("rate_limited");
  const signIn = await call(token.url, "/api/v1/session", { ...from, method: "POST", body: { token: tokens.viewer } });
  expect(signIn.status).toBe(429);
  // a session cannot be guessed: it still works from the blocked address
  expect((await call(token.url, "/api/v1/me", { ...from, headers: { cookie } })).status).toBe(200);
  expect((await call(token.url, "/api/v1/me", { headers: bearer(tokens.viewer) })).status).toBe(200);
});

test("token mode: a signed-in viewer cannot guess tokens through the sign-in; behind a proxy each client counts on its own", async () => {
  const from = { localAddress: "127.0.0.31" };
  const statuses: number[] = [];
  for (let i = 0; i < 31; i++) statuses.push((await call(token.url, "/api/v1/session", { ...from, method: "POST", headers: bearer(tokens.viewer), body: { token: `guess-${i}-${run}` } })).status);
  expect(statuses.slice(0, 30).every((x) => x === 401)).toBe(true);
  expect(statuses[30]).toBe(429);
  expect((await call(token.url, "/api/v1/session", { ...from, method: "POST", headers: bearer(tokens.viewer), body: { token: tokens.admin } })).status).toBe(429);

  // through the proxy at 127.0.0.1: the client named in X-Forwarded-For is what counts, and what the audit log says
  const attacker = { "x-forwarded-for": "198.51.100.7" };
  for (let i = 0; i < 30; i++) await call(token.url, "/api/v1/me", { headers: { ...attacker, ...bearer(`nope-${i}-${run}`) } });
  expect((await call(token.url, "/api/v1/me", { headers: { ...attacker, ...bearer(tokens.viewer) } })).status).toBe(429);
  expect((await call(token.url, "/api/v1/me", { headers: { "x-forwarded-for": "203.0.113.9, 198.51.100.8", ...bearer(tokens.operator) } })).status).toBe(200);
  const denied = await call(token.url, "/api/v1/audit?actor=anonymous&outcome=denied&limit=200", { headers: bearer(tokens.admin) });
  expect((denied.json as { items: { clientAddress: string | null }[] }).items.some((e) => e.clientAddress === "198.51.100.7")).toBe(true);
});

test("an identity's refusals are bounded: past 60 a minute, its mutations 429 and no more audit entries; its reads still answered", async () => {
  const from = { localAddress: "127.0.0.41" };
  const statuses: number[] = [];
  for (let i = 0; i < 65; i++) statuses.push((await call(token.url, "/api/v1/dead-letters/discard", { ...from, method: "POST", headers: bearer(tokens.viewer), body: { ids: [i + 1], reason: "flood" } })).status);
  expect(statuses.slice(0, 60).every((x) => x === 403)).toBe(true);
  expect(statuses.slice(60).every((x) => x === 429)).toBe(true);
  const log = await call(token.url, `/api/v1/audit?actor=${users.viewer}&action=dead_letters.discard&outcome=denied&limit=500`, { headers: bearer(tokens.admin) });
  const flood = (log.json as { items: { details: Record<string, unknown>; clientAddress: string | null }[] }).items.filter((e) => e.details.reason === "flood" || e.clientAddress?.endsWith("127.0.0.41"));
  expect(flood.length).toBeLessThanOrEqual(60);
  // its reads go on, there too: the on-call page does not go blank after a flood of mistakes
  expect((await call(token.url, "/api/v1/health", { ...from, headers: bearer(tokens.viewer) })).status).toBe(200);
  expect((await call(token.url, "/api/v1/me", { ...from, headers: bearer(tokens.viewer) })).status).toBe(200);
  // the same viewer elsewhere is not held back
  expect((await call(token.url, "/api/v1/me", { headers: bearer(tokens.viewer) })).status).toBe(200);
});

test("proxy mode: the mapped role from a trusted address; the same headers from another address, or no user header, are 401", async () => {
  const h = { "x-forwarded-user": `pat-${run}`, "x-forwarded-groups": "dev,sre" };
  const trusted = await call(proxy.url, "/api/v1/me", { headers: h, localAddress: "127.0.0.1" });
  expect(trusted.status, trusted.text).toBe(200);
  expect(trusted.json).toMatchObject({ user: `pat-${run}`, role: "operator", mode: "proxy", via: "proxy" });
  const admin = await call(proxy.url, "/api/v1/me", { headers: { ...h, "x-forwarded-groups": "platform" }, localAddress: "127.0.0.1" });
  expect(admin.json).toMatchObject({ role: "admin" });
  const plain = await call(proxy.url, "/api/v1/me", { headers: { "x-forwarded-user": `pat-${run}` }, localAddress: "127.0.0.1" });
  expect(plain.json).toMatchObject({ role: "viewer" });

  // the proxy passing the user's own bearer token on does not undo its identity; a UTF-8 name arrives whole
  const passed = await call(proxy.url, "/api/v1/me", { headers: { ...h, authorization: "Bearer eyJhbGciOiJSUzI1NiJ9.x.y" }, localAddress: "127.0.0.1" });
  expect(passed.json).toMatchObject({ user: `pat-${run}`, role: "operator" });
  const utf8 = await call(proxy.url, "/api/v1/me", { headers: { "x-forwarded-user": Buffer.from("jörg😀", "utf8").toString("latin1") }, localAddress: "127.0.0.1" });
  expect(utf8.json).toMatchObject({ user: "jörg😀" });
  // a host name the dashboard is not known by (DNS rebinding) is refused
  const rebound = await call(proxy.url, "/api/v1/me", { headers: { ...h, host: "evil.example:3202" }, localAddress: "127.0.0.1" });
  expect(rebound.status).toBe(421);
  // pages cannot be framed by another site
  const page = await call(proxy.url, "/kafka", { headers: h, localAddress: "127.0.0.1" });
  expect(page.headers["x-frame-options"]).toBe("DENY");
  expect(String(page.headers["content-security-policy"])).toContain("frame-ancestors 'none'");

  const untrusted = await call(proxy.url, "/api/v1/me", { headers: h, localAddress: "127.0.0.5" });
  expect(untrusted.status).toBe(401);
  // the peer address cannot be claimed by a header
  const spoofed = await call(proxy.url, "/api/v1/me", { headers: { ...h, "x-switchyard-peer": "127.0.0.1", "x-forwarded-for": "127.0.0.1" }, localAddress: "127.0.0.5" });
  expect(spoofed.status).toBe(401);
  expect((await call(proxy.url, "/api/v1/me", { headers: { "x-forwarded-groups": "sre" }, localAddress: "127.0.0.1" })).status).toBe(401);
  expect((await call(proxy.url, "/kafka", { headers: h, localAddress: "127.0.0.5" })).status).toBe(307);
  expect((await call(proxy.url, "/kafka", { headers: h, localAddress: "127.0.0.1" })).status).toBe(200);

  // both dashboards write the same audit log: the untrusted attempts are there, from their address
  const denied = await call(token.url, `/api/v1/audit?outcome=denied&targetId=${encodeURIComponent("/api/v1/me")}&limit=100`, { headers: bearer(tokens.admin) });
  const addrs = (denied.json as { items: { clientAddress: string | null }[] }).items.map((e) => e.clientAddress);
  expect(addrs.some((a) => a?.endsWith("127.0.0.5"))).toBe(true);
});

test("open mode (the e2e dashboard): everyone has the configured role, and a cross-site mutation is refused even so", async ({ request, baseURL }) => {
  const me = await request.get("/api/v1/me");
  expect(await me.json()).toMatchObject({ user: "anonymous", role: "viewer", mode: "open", via: "open" });
  const cross = await rawRequest(`${baseURL}/api/v1/session`, { method: "DELETE", headers: { origin: "http://evil.example", "sec-fetch-site": "cross-site" } });
  expect(cross.status).toBe(403);
  const viewerDiscard = await rawRequest(`${baseURL}/api/v1/dead-letters/discard`, { method: "POST", body: { ids: [1], reason: "x" } });
  expect(viewerDiscard.status).toBe(403);
  const signIn = await rawRequest(`${baseURL}/api/v1/session`, { method: "POST", body: { token: tokens.admin } });
  expect(signIn.status).toBe(409);
});

test("browser: a viewer signs in and sees no mutation control; an operator sees it and uses it; the audit page lists both", async ({ browser, baseURL }) => {
  const [id] = await insertDeadLetters(1);
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await page.goto(`${token.url}/dead-letters/${id}`);
  await expect(page).toHaveURL(/\/sign-in\?next=/);
  await page.getByLabel("Token").fill("wrong-token-123");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.locator("form [role=alert]")).toContainText("not configured");
  await page.getByLabel("Token").fill(tokens.viewer);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(`${token.url}/dead-letters/${id}`);
  await expect(page.getByRole("heading", { name: `Dead letter #${id}` })).toBeVisible();
  // the header shows who is signed in once /api/v1/me answered: from then on, the controls are what the role allows
  await expect(page.locator(".identity")).toContainText(`${users.viewer} (viewer)`);
  await expect(page.getByTestId("discard")).toHaveCount(0);
  await page.goto(`${token.url}/dead-letters`);
  await expect(page.getByTestId("failure-groups")).toBeVisible();
  await expect(page.getByTestId("discard-group")).toHaveCount(0);
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/sign-in/);
  expect((await ctx.cookies()).filter((c) => c.name === "switchyard_session" && c.value)).toHaveLength(0);

  await page.goto(`${token.url}/sign-in?next=${encodeURIComponent(`/dead-letters/${id}`)}`);
  await page.getByLabel("Token").fill(tokens.operator);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.locator(".identity")).toContainText(`${users.operator} (operator)`);
  const cookie = (await ctx.cookies()).find((c) => c.name === "switchyard_session");
  expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Lax" });
  page.once("dialog", (d) => void d.accept("e2e: <b>known</b> bad"));
  await page.getByTestId("discard").click();
  await expect(page.locator(".fields")).toContainText("discarded");
  await expect(page.locator(".fields")).toContainText("e2e: <b>known</b> bad");
  await expect(page.getByTestId("discard")).toHaveCount(0);
  await page.getByTestId("restore").click();
  await expect(page.locator(".fields")).toContainText("new");
  await expect(page.getByTestId("discard")).toHaveCount(1);
  page.once("dialog", (d) => void d.accept("e2e: discarded for good"));
  await page.getByTestId("discard").click();
  await expect(page.getByTestId("restore")).toHaveCount(1);

  // a whole failure group: discarded with a reason, then restored
  const group = `${run}00000000`.slice(0, 16);
  await insertDeadLetters(3, group);
  await page.goto(`${token.url}/dead-letters?q=${encodeURIComponent("auth-e2e-" + run)}`);
  const row = page.getByTestId(`group-${group}`);
  await expect(row).toContainText("e2e <b>group</b>");
  page.once("dialog", (d) => void d.accept("e2e: the whole group"));
  await row.getByTestId("discard-group").click();
  await expect(row).toContainText("discarded 3");
  await row.getByTestId("restore-group").click();
  await expect(row).toContainText("new 3");
  await page.goto(`${token.url}/audit?action=session.sign_in&outcome=ok`);
  const table = page.getByTestId("audit-table");
  await expect(table).toContainText(users.viewer);
  await expect(table).toContainText(users.operator);
  await page.goto(`${token.url}/audit?actor=${users.operator}&action=dead_letters.discard`);
  await expect(page.getByTestId("audit-table").getByRole("link", { name: String(id), exact: true }).first()).toHaveAttribute("href", new RegExp(`/dead-letters/${id}$`));
  await ctx.close();

  // open mode says so in the header, whatever page
  const open = await browser.newPage();
  await open.goto(`${baseURL}/kafka`);
  await expect(open.getByRole("note")).toHaveText("open mode: everyone is viewer");
  await open.close();
});

test("no answer, page, /metrics or log line carries a token, the session key or a broker password", async () => {
  // pages and the API as each role sees them, the OpenAPI document, the collectors' metrics
  for (const path of ["/", "/kafka", "/rabbitmq", "/dead-letters", "/traces", "/audit", "/sign-in", "/api/v1/health", "/api/v1/audit?limit=500", "/api/v1/openapi.json"]) {
    await call(token.url, path, { headers: bearer(tokens.admin) });
    await call(token.url, path, { headers: bearer(tokens.viewer) });
  }
  seen.push(await rawRequest(`http://127.0.0.1:${process.env.E2E_COLLECTORS_PORT ?? "19464"}/metrics`));
  expect(seen.at(-1)!.status).toBe(200);
  // the brokers' password as configured (the e2e stack runs with the defaults): never in a URL of an answer
  const brokerPasswords = [":guest@"];
  const secrets = [...Object.values(tokens), sessionSecret, ...brokerPasswords];
  for (const r of seen) for (const s of secrets) expect(r.text + JSON.stringify(r.headers)).not.toContain(s);
  for (const s of secrets) {
    expect(token.logs()).not.toContain(s);
    expect(proxy.logs()).not.toContain(s);
  }
});
