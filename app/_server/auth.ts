/** Not "server-only": proxy.ts, which Next runs outside the react-server layer, identifies page requests with it. */
import { sealData, unsealData } from "iron-session";
import { z } from "zod";
import type { Actor } from "@/lib/audit";
import ipaddr from "ipaddr.js";
import { addressIn } from "@/lib/auth/cidr";
import { resolveIdentity, sessionCookieName, type AuthSettings, type IdentityResult, type SessionData } from "@/lib/auth/identity";
import type { Config } from "@/lib/config/env";
import { peerAddress } from "@/lib/http-peer";

export { sessionCookieName };

export function authSettings(c: Config): AuthSettings {
  return {
    mode: c.AUTH_MODE,
    openRole: c.AUTH_OPEN_ROLE,
    tokens: c.AUTH_TOKENS,
    proxy: {
      userHeader: c.AUTH_PROXY_USER_HEADER,
      groupsHeader: c.AUTH_PROXY_GROUPS_HEADER,
      roles: c.AUTH_PROXY_ROLES,
      defaultRole: c.AUTH_PROXY_DEFAULT_ROLE,
      trusted: c.AUTH_PROXY_TRUSTED,
    },
  };
}

const sessionSchema = z.object({ user: z.string().min(1).max(200), tokenFp: z.string().min(1).max(100), signedInAt: z.number() });

/** The sealed (encrypted and signed, iron-session) cookie value for a session. */
export async function sealSession(c: Config, s: SessionData): Promise<string> {
  return sealData(s, { password: c.SESSION_SECRET!, ttl: c.SESSION_TTL_HOURS * 3600 });
}

/** The session a cookie value holds, or null when it is absent, forged, expired or sealed with another key. */
export async function openSession(c: Config, sealed: string | undefined): Promise<SessionData | null> {
  if (!sealed || !c.SESSION_SECRET || sealed.length > 4096) return null;
  try {
    const data = await unsealData(sealed, { password: c.SESSION_SECRET, ttl: c.SESSION_TTL_HOURS * 3600 });
    const r = sessionSchema.safeParse(data);
    return r.success ? r.data : null;
  } catch {
    return null;
  }
}

/** The cookie attributes: httpOnly, SameSite=Lax, Secure when the dashboard is reached over https. */
export function sessionCookieOptions(c: Config, secure: boolean) {
  return { httpOnly: true, sameSite: "lax" as const, secure, path: "/", maxAge: c.SESSION_TTL_HOURS * 3600 };
}

/** What identify needs of a request: its headers and its cookies (NextRequest and a page's headers() both give them). */
export interface RequestLike {
  headers: Headers;
  cookie: (name: string) => string | undefined;
}

export async function identify(c: Config, req: RequestLike): Promise<IdentityResult> {
  const session = c.AUTH_MODE === "token" ? await openSession(c, req.cookie(sessionCookieName)) : null;
  return resolveIdentity(authSettings(c), {
    authorization: req.headers.get("authorization"),
    session,
    peer: peerAddress(req.headers),
    header: (n) => utf8Header(req.headers.get(n)),
  });
}

/**
 * A header value as the client meant it: Node hands header bytes over as Latin-1, so a proxy's UTF-8 user name
 * (`jörg`) arrives as `jÃ¶rg`; a value that is valid UTF-8 read so is taken as UTF-8.
 */
export function utf8Header(v: string | null): string | null {
  if (v === null || !/[\u0080-\u00ff]/.test(v)) return v;
  const bytes = Buffer.from(v, "latin1");
  const text = bytes.toString("utf8");
  return Buffer.from(text, "utf8").equals(bytes) ? text : v;
}

/**
 * Where a request came from, for the audit log and the limits: the peer; when the peer is one of AUTH_PROXY_TRUSTED
 * (in any mode: a TLS proxy in front of a token-mode dashboard too), the first address in `X-Forwarded-For` read
 * from the right that is not itself a trusted proxy (the left end is whatever the client wrote). Only a well-formed
 * address is taken.
 */
export function clientAddress(c: Config, headers: Headers): string | null {
  const peer = peerAddress(headers);
  if (!addressIn(peer, c.AUTH_PROXY_TRUSTED)) return peer;
  const hops = (headers.get("x-forwarded-for") ?? "").split(",").map((s) => s.trim()).filter(Boolean).reverse();
  for (const hop of hops) {
    if (!ipaddr.isValid(hop)) return peer;
    if (!addressIn(hop, c.AUTH_PROXY_TRUSTED)) return hop;
  }
  return peer;
}

/** Whether a request came through a trusted proxy (AUTH_PROXY_TRUSTED), whose X-Request-Id the audit log may take. */
export function fromTrustedProxy(c: Config, headers: Headers): boolean {
  return addressIn(peerAddress(headers), c.AUTH_PROXY_TRUSTED);
}

export function actorOf(c: Config, identity: { user: string; role: string } | null, headers: Headers, requestId: string): Actor {
  return { user: identity?.user ?? "anonymous", role: identity?.role ?? "none", requestId, clientAddress: clientAddress(c, headers) };
}

/**
 * Whether the session cookie is marked Secure: SESSION_COOKIE_SECURE=true or false says so; `auto` (the default) when
 * the request reached the dashboard over https, directly or as the proxy in front of it says (X-Forwarded-Proto).
 */
export function isHttps(c: Config, url: string, headers: Headers): boolean {
  if (c.SESSION_COOKIE_SECURE !== "auto") return c.SESSION_COOKIE_SECURE === "true";
  return url.startsWith("https:") || headers.get("x-forwarded-proto")?.split(",")[0]?.trim() === "https";
}
