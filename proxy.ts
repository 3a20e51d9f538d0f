import { NextResponse, type NextRequest } from "next/server";
import { identify } from "@/app/_server/auth";
import { badRequestHeader, pathHeader } from "@/app/_server/paths";
import { endpoints } from "@/lib/api/contracts";
import { allowedMethods } from "@/lib/api/methods";
import { loadConfig } from "@/lib/config/env";

/**
 * Runs before Next's router, which decodes each dynamic path segment and, on a malformed percent-encoding (`%`,
 * `%FF`, `%E0%A4%A`), fails with a plain-text 500 before any route handler or page can answer. Here such a path,
 * or one whose segments decode to a NUL (which Postgres cannot hold in text), answers 400: JSON under /api, the
 * app's own error page elsewhere. Every other request passes on with its raw path in a header, for the error pages'
 * link back.
 *
 * Pages need an identity (any role reads every page): a page request without one is sent to the sign-in page. API
 * routes check identity and role themselves, in their route() wrapper, because each declares its own role.
 */
export async function proxy(req: NextRequest) {
  const { pathname } = req.nextUrl;
  const problem = pathProblem(pathname);
  const headers = new Headers(req.headers);
  headers.set(pathHeader, pathname);
  const settings = loadConfig();
  if (!hostAllowed(settings.ALLOWED_HOSTS, req.headers.get("host"))) {
    // a name the dashboard is not known by: a DNS-rebinding page, or a misrouted request
    const message = "this dashboard does not answer to that host name (ALLOWED_HOSTS)";
    return isApi(pathname)
      ? NextResponse.json({ error: { code: "misdirected", message } }, { status: 421 })
      : new NextResponse(message, { status: 421, headers: { "content-type": "text/plain; charset=utf-8" } });
  }
  if (!problem) {
    if (isApi(pathname)) {
      // a method the route does not have: the JSON error body with Allow (Next's own 405 has no body)
      const allowed = allowedMethods(templates, pathname);
      if (allowed && !allowed.includes(req.method as (typeof allowed)[number]) && !(req.method === "HEAD" && allowed.includes("GET")) && req.method !== "OPTIONS") {
        return NextResponse.json(
          { error: { code: "method_not_allowed", message: `${req.method} is not allowed here; use ${allowed.join(" or ")}` } },
          { status: 405, headers: { allow: allowed.join(", ") } },
        );
      }
    } else if (!publicPages.has(pathname)) {
      const who = await identify(settings, { headers: req.headers, cookie: (n) => req.cookies.get(n)?.value });
      if (!who.identity) {
        const to = req.nextUrl.clone();
        to.pathname = "/sign-in";
        to.search = "";
        to.searchParams.set("next", `${pathname}${req.nextUrl.search}`.slice(0, 2000));
        return NextResponse.redirect(to, 307);
      }
    }
    return NextResponse.next({ request: { headers } });
  }
  if (isApi(pathname)) {
    const message = problem === "nul" ? "path: must not contain a NUL character" : "path: malformed percent-encoding";
    return NextResponse.json({ error: { code: "invalid_request", message } }, { status: 400 });
  }
  headers.set(badRequestHeader, problem);
  const to = req.nextUrl.clone();
  to.pathname = "/bad-request";
  to.search = "";
  return NextResponse.rewrite(to, { status: 400, request: { headers } });
}

/** Pages anyone may open: where one signs in. */
const publicPages = new Set(["/sign-in"]);

const templates = endpoints.map((e) => e.endpoint);

/** Whether the Host header names the dashboard: any host when ALLOWED_HOSTS is empty; else host:port or host alone. */
function hostAllowed(allowed: readonly string[], host: string | null): boolean {
  if (allowed.length === 0) return true;
  const h = (host ?? "").toLowerCase();
  const name = h.replace(/:\d+$/, "");
  return allowed.includes(h) || allowed.includes(name);
}

const isApi = (pathname: string) => pathname === "/api" || pathname.startsWith("/api/");

/** Why a raw (still percent-encoded) path cannot be routed, or null when it can. */
function pathProblem(pathname: string): "encoding" | "nul" | null {
  for (const segment of pathname.split("/")) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      return "encoding";
    }
    if (decoded.includes("\u0000")) return "nul";
  }
  return null;
}

export const config = {
  // every request but Next's own static assets
  matcher: ["/((?!_next/static|_next/image|favicon.ico).*)"],
};
