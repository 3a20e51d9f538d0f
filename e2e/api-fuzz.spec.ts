import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { expect, test } from "@playwright/test";

/**
 * Garbage into every route of the running production build: each hostile value into each path segment and each
 * query parameter a route reads (once, and twice as an array). Nothing may answer 5xx; the API answers its JSON
 * error body, the pages the app's own error page. Requests go out over node:http with the path exactly as written,
 * so a malformed percent-encoding reaches the server as it is.
 */

const root = path.resolve(__dirname, "..");

/** 20 digits of milliseconds: past any Date, in the trace cursor's `ms:traceId:spanId` and the dead-letter cursor */
const hugeMs = "99999999999999999999";
const b64 = (s: string) => Buffer.from(s).toString("base64url");

const hostile: Record<string, string> = {
  nul: "%00",
  nulInside: "a%00b",
  truncatedUtf8: "%E0%A4%A",
  invalidUtf8: "%FF",
  barePercent: "%",
  percentSign: "%25",
  encodedPercentTwice: "%2525",
  slash: "%2F",
  long: "x".repeat(10_000),
  unicode: encodeURIComponent("ü✓💥\u202e"),
  negative: "-1",
  huge: "99999999999999999999999999",
  hugeFloat: "1e308",
  notANumber: "NaN",
  traceCursorOverflow: b64(`${hugeMs}:${"0".repeat(32)}:${"0".repeat(16)}`),
  deadLetterCursorOverflow: b64(hugeMs),
  dotdot: "..",
};

/** A plausible value for each parameter, used in the segments and parameters not under attack. */
const plausible: Record<string, string> = {
  cluster: "local",
  groupId: "nope",
  group: "nope",
  broker: "local",
  vhost: "%2F",
  name: "nope",
  id: "1",
  traceId: "0af7651916cd43dd8448eb211c80319c",
};

/** Every route: its path pattern and the query parameters it reads. A new route fails the coverage test below. */
const apiRoutes: { pattern: string; query: string[] }[] = [
  { pattern: "/api/v1/health", query: [] },
  { pattern: "/api/v1/kafka/consumer-groups", query: ["cluster", "q", "status", "sort", "dir", "inactive"] },
  { pattern: "/api/v1/kafka/consumer-groups/[cluster]/[groupId]", query: ["range"] },
  { pattern: "/api/v1/rabbitmq/queues", query: ["q", "broker", "vhost", "dlq", "problems", "sort", "dir"] },
  { pattern: "/api/v1/rabbitmq/queues/[broker]/[vhost]/[name]", query: ["range"] },
  { pattern: "/api/v1/dead-letters", query: ["system", "source", "reason", "status", "traceId", "q", "cursor", "limit"] },
  { pattern: "/api/v1/dead-letters/[id]", query: [] },
  {
    pattern: "/api/v1/traces",
    query: ["service", "operation", "status", "minDurationMs", "maxDurationMs", "attr", "destination", "messageId", "messageKey", "from", "to", "cursor", "limit"],
  },
  { pattern: "/api/v1/traces/[traceId]", query: ["stitch"] },
  { pattern: "/api/v1/me", query: [] },
  { pattern: "/api/v1/session", query: [] },
  { pattern: "/api/v1/audit", query: ["actor", "action", "targetType", "targetId", "outcome", "from", "to", "cursor", "limit"] },
  { pattern: "/api/v1/dead-letters/discard", query: [] },
  { pattern: "/api/v1/dead-letters/restore", query: [] },
  { pattern: "/api/v1/dead-letters/groups", query: ["system", "source", "exact", "broker", "vhost", "reason", "status", "q", "traceId", "limit"] },
  { pattern: "/api/v1/openapi.json", query: [] },
  { pattern: "/api/v1/replays", query: ["status", "dryRuns", "cursor", "limit"] },
  { pattern: "/api/v1/replays/[id]", query: [] },
  { pattern: "/api/v1/replays/[id]/items", query: ["status", "cursor", "limit"] },
  { pattern: "/api/v1/replays/[id]/pause", query: [] },
  { pattern: "/api/v1/replays/[id]/resume", query: [] },
  { pattern: "/api/v1/replays/[id]/cancel", query: [] },
  { pattern: "/api/v1/dead-letters/[id]/edit-and-replay", query: [] },
  { pattern: "/api/v1/flows", query: ["from", "to", "focus"] },
  { pattern: "/api/v1/analysis/sync-chains", query: ["from", "to"] },
  { pattern: "/api/v1/analysis/duplicates", query: ["from", "to"] },
  { pattern: "/api/v1/workflows", query: ["state", "name", "key", "stuck", "olderThan", "from", "to", "cursor", "limit"] },
  { pattern: "/api/v1/search", query: ["q"] },
  { pattern: "/api/v1/attention", query: [] },
  { pattern: "/api/v1/alerts", query: [] },
  { pattern: "/api/v1/alerts/rules", query: [] },
  { pattern: "/api/v1/alerts/rules/[id]", query: [] },
  { pattern: "/api/v1/alerts/history", query: ["cursor", "limit"] },
  { pattern: "/api/v1/workflows/[id]", query: [] },
  { pattern: "/api/v1/workflows/summary", query: ["from", "to"] },
  { pattern: "/api/[...path]", query: [] },
];
const pageRoutes: { pattern: string; query: string[] }[] = [
  { pattern: "/", query: [] },
  { pattern: "/kafka", query: ["q", "status", "cluster", "sort", "dir", "refresh", "inactive"] },
  { pattern: "/kafka/[cluster]/[group]", query: ["range"] },
  { pattern: "/rabbitmq", query: ["q", "broker", "vhost", "dlq", "problems", "sort", "dir"] },
  { pattern: "/rabbitmq/[broker]/[vhost]/[name]", query: ["range"] },
  { pattern: "/dead-letters", query: ["system", "source", "reason", "status", "traceId", "q", "cursor", "group"] },
  { pattern: "/dead-letters/[id]", query: [] },
  { pattern: "/traces", query: ["service", "operation", "status", "minDurationMs", "maxDurationMs", "attr", "range", "cursor"] },
  { pattern: "/traces/[traceId]", query: ["stitch", "span"] },
  { pattern: "/bad-request", query: [] },
  { pattern: "/sign-in", query: ["next"] },
  { pattern: "/audit", query: ["actor", "action", "targetType", "targetId", "outcome"] },
  { pattern: "/replays", query: ["status", "dryRuns"] },
  { pattern: "/replays/[id]", query: ["status"] },
  { pattern: "/flows", query: ["range", "focus", "sel"] },
  { pattern: "/analysis", query: ["range"] },
  { pattern: "/workflows", query: ["range", "state", "name", "key", "stuck", "olderThan", "chart"] },
  { pattern: "/search", query: ["q"] },
  { pattern: "/alerts", query: [] },
  { pattern: "/workflows/[id]", query: [] },
];

function routesOnDisk(file: "route.ts" | "page.tsx"): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory() && !e.name.startsWith("_")) walk(p);
      else if (e.name === file) out.push("/" + path.relative(path.join(root, "app"), dir).split(path.sep).join("/"));
    }
  };
  walk(path.join(root, "app"));
  return out.map((r) => (r === "/" ? "/" : r.replace(/\/$/, ""))).sort();
}

/** The segments of a pattern, each either fixed text or a parameter's name. */
function segmentsOf(pattern: string): { text: string; param: string | null }[] {
  return pattern
    .split("/")
    .filter(Boolean)
    .map((s) => {
      const m = /^\[(?:\.\.\.)?(\w+)\]$/.exec(s);
      return { text: m ? (plausible[m[1]!] ?? "x") : s, param: m ? m[1]! : null };
    });
}

/** Every request for a route: each hostile value in each segment (fixed or not), each parameter, and twice as an array. */
function requestsFor(r: { pattern: string; query: string[] }): string[] {
  const segs = segmentsOf(r.pattern);
  const base = (replace: number, value: string) => "/" + segs.map((s, i) => (i === replace ? value : s.text)).join("/");
  const out = new Set<string>();
  for (const value of Object.values(hostile)) {
    segs.forEach((_, i) => out.add(base(i, value)));
    if (segs.length === 0) out.add(`/${value}`);
    for (const q of r.query) {
      const p = base(-1, "");
      out.add(`${p}?${q}=${value}`);
      // twice over 10k characters would pass Node's 16 KiB header limit, which answers 431 before Next runs
      if (value.length < 5000) out.add(`${p}?${q}=${value}&${q}=${value}`);
    }
  }
  for (const q of r.query) out.add(`${base(-1, "")}?${q}=1&${q}=2`);
  return [...out].map((p) => p.replace(/^\/\//, "/"));
}

interface Answer {
  path: string;
  status: number;
  type: string;
  body: string;
}

function get(origin: URL, p: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: origin.hostname, port: origin.port, path: p, headers: { accept: "text/html,application/json" } }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve({ path: p, status: res.statusCode ?? 0, type: String(res.headers["content-type"] ?? ""), body }));
    });
    req.setTimeout(60_000, () => req.destroy(new Error(`timeout on ${p.slice(0, 200)}`)));
    req.on("error", reject);
  });
}

async function sendAll(origin: URL, paths: string[], concurrency = 3): Promise<Answer[]> {
  const out: Answer[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < paths.length) out.push(await get(origin, paths[next++]!));
    }),
  );
  return out;
}

const short = (a: Answer) => `${a.status} ${a.path.slice(0, 120)}${a.path.length > 120 ? "…" : ""} → ${a.type.split(";")[0]} ${a.body.slice(0, 160).replace(/\s+/g, " ")}`;

/**
 * What is wrong with an answer, if anything: a 5xx anywhere; under /api (as the server resolves the path: a `..`
 * segment may leave it), anything but JSON, with `{ error: { code, message } }` on an error; elsewhere anything but
 * HTML, with the app's own error page, at the status it was served with, on an error. Redirects (Next's own for
 * `..` and trailing slashes) are fine.
 */
function problem(origin: URL, a: Answer): string | null {
  if (a.status === 0 || a.status >= 500) return "5xx";
  if (a.status >= 300 && a.status < 400) return null;
  const resolved = new URL(a.path, origin).pathname;
  if (resolved === "/api" || resolved.startsWith("/api/")) {
    if (!a.type.startsWith("application/json")) return "not JSON";
    if (a.status < 400) return null;
    const body = JSON.parse(a.body) as { error?: { code?: unknown; message?: unknown } };
    return typeof body.error?.code === "string" && typeof body.error?.message === "string" ? null : "no error body";
  }
  if (!a.type.startsWith("text/html")) return "not HTML";
  // a server error thrown after the page began streaming (generateMetadata, a Suspense boundary) keeps the 200 and
  // sends the error in the RSC payload, with a numeric digest (Next's own notFound() and redirect digests are words)
  if (/E\{\\"digest\\":\\"\d+\\"/.test(a.body)) return "a server error inside the page";
  if (a.status < 400) return null;
  // the error page as HTML, or, for a notFound() thrown by a dynamic page, in the RSC payload the browser renders it
  // from: Next does not server-render that one (vercel/next.js#62228); e2e/errors.spec.ts sees it in Chromium
  const html = a.body.includes(`data-testid="error-page" data-status="${a.status}"`);
  const payload = a.body.includes(`\\"data-testid\\":\\"error-page\\",\\"data-status\\":\\"${a.status}\\"`);
  return html || payload ? null : "not the app's error page";
}

test.describe.configure({ timeout: 600_000 });

test("every API route and page is in the fuzz lists", () => {
  expect(routesOnDisk("route.ts")).toEqual(apiRoutes.map((r) => r.pattern).sort());
  expect(routesOnDisk("page.tsx")).toEqual(pageRoutes.map((r) => r.pattern).sort());
});

for (const [what, routes, concurrency] of [
  ["API route", apiRoutes, 3],
  ["page", pageRoutes, 2],
] as const) {
  test(`garbage into every ${what}: never 5xx; the API answers its JSON error, a page the app's own error page`, async ({ baseURL }) => {
    const origin = new URL(baseURL!);
    const paths = routes.flatMap(requestsFor);
    expect(paths.length).toBeGreaterThan(300);
    const answers = await sendAll(origin, paths, concurrency);
    const bad = answers.flatMap((a) => {
      const p = problem(origin, a);
      return p ? [`${p}: ${short(a)}`] : [];
    });
    expect(bad, `${bad.length} of ${answers.length} requests`).toEqual([]);
  });
}
