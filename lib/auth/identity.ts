import { createHash, timingSafeEqual } from "node:crypto";
import type { AuthMode } from "./modes";
import { addressIn, type Cidr } from "./cidr";
import { hasRole, type Role } from "./roles";

/** The sign-in cookie (token mode): sealed session data, httpOnly, SameSite=Lax. */
export const sessionCookieName = "switchyard_session";

/** Who is asking, as every server check sees it. */
export interface Identity {
  user: string;
  role: Role;
  /** how the identity was established */
  via: "open" | "token" | "session" | "proxy";
}

export interface AuthSettings {
  mode: AuthMode;
  openRole: Role;
  tokens: readonly { user: string; role: Role; token: string }[];
  proxy: {
    userHeader: string;
    groupsHeader: string;
    roles: readonly { group: string; role: Role }[];
    defaultRole: Role;
    trusted: readonly Cidr[];
  };
}

/** What a request carries that can identify it. `header` reads a request header by lower-case name. */
export interface RequestCredentials {
  authorization: string | null;
  /** the unsealed session cookie, if one came and could be opened */
  session: SessionData | null;
  /** the peer address of the TCP connection (never a header the client could set) */
  peer: string | null;
  header: (name: string) => string | null;
}

/** What a session cookie holds: who signed in, and a fingerprint of the token they signed in with. */
export interface SessionData {
  user: string;
  /** fingerprint(token): a session dies when its token is removed from AUTH_TOKENS or changed */
  tokenFp: string;
  signedInAt: number;
}

const sha256 = (s: string) => createHash("sha256").update(s, "utf8").digest();

/** A token's fingerprint for a session cookie: not the token, and not usable as one. */
export function tokenFingerprint(token: string): string {
  return createHash("sha256").update("switchyard-session\u0000").update(token, "utf8").digest("base64url").slice(0, 22);
}

/**
 * The configured token equal to `presented`, compared in constant time: each candidate is hashed to the same length
 * and compared with timingSafeEqual, and every candidate is compared whatever matched before it.
 */
export function findToken(tokens: AuthSettings["tokens"], presented: string) {
  const p = sha256(presented);
  let found: AuthSettings["tokens"][number] | undefined;
  for (const t of tokens) if (timingSafeEqual(sha256(t.token), p) && !found) found = t;
  return found;
}

/** `Bearer <token>` → the token; anything else → null. */
export function bearerToken(authorization: string | null): string | null {
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization ?? "");
  return m ? m[1]! : null;
}

export type IdentityResult = { identity: Identity } | { identity: null; reason: string };

/** The identity a request has under the settings, or why it has none. Pure: the route wrapper and proxy.ts call it. */
export function resolveIdentity(s: AuthSettings, c: RequestCredentials): IdentityResult {
  if (s.mode === "open") return { identity: { user: "anonymous", role: s.openRole, via: "open" } };
  // proxy mode: a trusted proxy that names the user decides, whatever Authorization it passes on (oauth2-proxy can
  // forward the user's own bearer token, which is not one of ours)
  if (s.mode === "proxy" && addressIn(c.peer, s.proxy.trusted) && c.header(s.proxy.userHeader)?.trim()) return proxyIdentity(s, c);
  const bearer = bearerToken(c.authorization);
  if (bearer !== null) {
    // a request that presents a token is judged by it alone: a wrong token is not rescued by a cookie
    const t = findToken(s.tokens, bearer);
    return t ? { identity: { user: t.user, role: t.role, via: "token" } } : { identity: null, reason: "the bearer token is not valid" };
  }
  if (s.mode === "token") {
    if (!c.session) return { identity: null, reason: "sign in, or send Authorization: Bearer <token>" };
    const t = s.tokens.find((x) => x.user === c.session!.user && tokenFingerprint(x.token) === c.session!.tokenFp);
    if (!t) return { identity: null, reason: "the session's token is no longer configured; sign in again" };
    return { identity: { user: t.user, role: t.role, via: "session" } };
  }
  if (!addressIn(c.peer, s.proxy.trusted)) return { identity: null, reason: "the request did not come through the trusted proxy" };
  return { identity: null, reason: `the proxy sent no ${s.proxy.userHeader} header` };
}

/** The identity a trusted proxy's headers give: the user, and the highest role of their mapped groups. */
function proxyIdentity(s: AuthSettings, c: RequestCredentials): IdentityResult {
  const user = c.header(s.proxy.userHeader)!.trim();
  if (user.length > 200) return { identity: null, reason: `the proxy's ${s.proxy.userHeader} is longer than 200 characters` };
  // the header given twice reaches us joined with ", ": two users are no user
  if (user.includes(",")) return { identity: null, reason: `the proxy sent more than one ${s.proxy.userHeader}` };
  // groups are comma-separated; a group's name may hold spaces ("not sre" is not "sre")
  const groups = (c.header(s.proxy.groupsHeader) ?? "").split(",").map((g) => g.trim()).filter(Boolean);
  let role: Role = s.proxy.defaultRole;
  for (const { group, role: r } of s.proxy.roles) if (groups.includes(group) && hasRole(r, role)) role = r;
  return { identity: { user, role, via: "proxy" } };
}

/** What a role may do, for /api/v1/me and the UI (one place, so a button and its endpoint agree). */
export function capabilities(role: Role) {
  return {
    read: true,
    replay: hasRole(role, "operator"),
    discard: hasRole(role, "operator"),
    editMessages: hasRole(role, "operator"),
    editAlerts: hasRole(role, "admin"),
    configure: hasRole(role, "admin"),
  };
}
export type Capabilities = ReturnType<typeof capabilities>;

const mutatingMethods = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * Whether a request would have a browser act on the dashboard from another site. Only mutations are judged; a
 * request with a bearer token is a script's (a browser never adds one across sites) and exempt. A browser request
 * carries `Sec-Fetch-Site` (modern browsers) or at least `Origin`: anything but same-origin (or `none`, typed by the
 * user) is cross-site.
 */
export function isCrossSiteMutation(req: { method: string; authorization: string | null; secFetchSite: string | null; origin: string | null; host: string | null }): boolean {
  if (!mutatingMethods.has(req.method.toUpperCase())) return false;
  if (bearerToken(req.authorization) !== null) return false;
  if (req.secFetchSite) return !["same-origin", "none"].includes(req.secFetchSite.toLowerCase());
  if (req.origin) {
    if (req.origin === "null") return true;
    try {
      return new URL(req.origin).host.toLowerCase() !== (req.host ?? "").toLowerCase();
    } catch {
      return true;
    }
  }
  return false;
}
