import { describe, expect, it } from "vitest";
import { parseCidrList } from "./cidr";
import { bearerToken, capabilities, findToken, isCrossSiteMutation, resolveIdentity, tokenFingerprint, type AuthSettings, type RequestCredentials } from "./identity";

const tokens = [
  { user: "vera", role: "viewer" as const, token: "viewer-token-1" },
  { user: "otto", role: "operator" as const, token: "operator-token-1" },
];
const settings = (over: Partial<AuthSettings> = {}): AuthSettings => ({
  mode: "token",
  openRole: "viewer",
  tokens,
  proxy: { userHeader: "x-forwarded-user", groupsHeader: "x-forwarded-groups", roles: [{ group: "sre", role: "admin" }, { group: "oncall", role: "operator" }], defaultRole: "viewer", trusted: parseCidrList("127.0.0.1/32,10.0.0.0/8").ranges },
  ...over,
});
const creds = (over: Partial<RequestCredentials> & { headers?: Record<string, string> } = {}): RequestCredentials => ({
  authorization: null,
  session: null,
  peer: null,
  header: (n) => over.headers?.[n] ?? null,
  ...over,
});

describe("resolveIdentity", () => {
  it("open mode gives everyone the configured role", () => {
    expect(resolveIdentity(settings({ mode: "open", openRole: "admin" }), creds())).toEqual({ identity: { user: "anonymous", role: "admin", via: "open" } });
  });

  it("token mode: a bearer token names its user and role; a wrong one, or none, is no identity", () => {
    expect(resolveIdentity(settings(), creds({ authorization: "Bearer operator-token-1" })).identity).toEqual({ user: "otto", role: "operator", via: "token" });
    expect(resolveIdentity(settings(), creds({ authorization: "bearer  viewer-token-1 " })).identity?.user).toBe("vera");
    expect(resolveIdentity(settings(), creds({ authorization: "Bearer operator-token-2" })).identity).toBeNull();
    expect(resolveIdentity(settings(), creds({ authorization: "Bearer operator-token-" })).identity).toBeNull();
    expect(resolveIdentity(settings(), creds()).identity).toBeNull();
  });

  it("a wrong bearer token is not rescued by a valid session", () => {
    const session = { user: "otto", tokenFp: tokenFingerprint("operator-token-1"), signedInAt: 1 };
    expect(resolveIdentity(settings(), creds({ session })).identity?.role).toBe("operator");
    expect(resolveIdentity(settings(), creds({ session, authorization: "Bearer nope-nope-nope" })).identity).toBeNull();
  });

  it("a session dies when its token is changed or removed, and takes the role configured now", () => {
    const session = { user: "otto", tokenFp: tokenFingerprint("operator-token-1"), signedInAt: 1 };
    expect(resolveIdentity(settings({ tokens: [{ user: "otto", role: "operator", token: "rotated-token" }] }), creds({ session })).identity).toBeNull();
    expect(resolveIdentity(settings({ tokens: [{ user: "otto", role: "viewer", token: "operator-token-1" }] }), creds({ session })).identity?.role).toBe("viewer");
  });

  it("proxy mode trusts the headers only from a trusted address, and maps groups to the highest role", () => {
    const h = { "x-forwarded-user": "ada", "x-forwarded-groups": "dev, oncall" };
    expect(resolveIdentity(settings({ mode: "proxy" }), creds({ peer: "10.1.2.3", headers: h })).identity).toEqual({ user: "ada", role: "operator", via: "proxy" });
    expect(resolveIdentity(settings({ mode: "proxy" }), creds({ peer: "::ffff:127.0.0.1", headers: { ...h, "x-forwarded-groups": "oncall,sre" } })).identity?.role).toBe("admin");
    expect(resolveIdentity(settings({ mode: "proxy" }), creds({ peer: "192.168.1.9", headers: h })).identity).toBeNull();
    expect(resolveIdentity(settings({ mode: "proxy" }), creds({ peer: null, headers: h })).identity).toBeNull();
    expect(resolveIdentity(settings({ mode: "proxy" }), creds({ peer: "10.1.2.3", headers: { "x-forwarded-groups": "sre" } })).identity).toBeNull();
    expect(resolveIdentity(settings({ mode: "proxy" }), creds({ peer: "10.1.2.3", headers: { "x-forwarded-user": "bob" } })).identity?.role).toBe("viewer");
    // a group whose name holds a mapped one is not that group
    expect(resolveIdentity(settings({ mode: "proxy" }), creds({ peer: "10.1.2.3", headers: { "x-forwarded-user": "eve", "x-forwarded-groups": "not sre, dev" } })).identity?.role).toBe("viewer");
    expect(resolveIdentity(settings({ mode: "proxy" }), creds({ peer: "10.1.2.3", headers: { "x-forwarded-user": "x".repeat(201) } })).identity).toBeNull();
    // the proxy's own Authorization (oauth2-proxy passing the user's token on) does not override its identity
    expect(resolveIdentity(settings({ mode: "proxy" }), creds({ peer: "10.1.2.3", authorization: "Bearer eyJhbGciOi", headers: h })).identity?.user).toBe("ada");
    // from elsewhere a bearer token is judged alone
    expect(resolveIdentity(settings({ mode: "proxy" }), creds({ peer: "192.168.1.9", authorization: "Bearer operator-token-1", headers: h })).identity).toMatchObject({ user: "otto", via: "token" });
    // a user header given twice (joined by the parser) is no user
    expect(resolveIdentity(settings({ mode: "proxy" }), creds({ peer: "10.1.2.3", headers: { "x-forwarded-user": "alice, admin" } })).identity).toBeNull();
    // a group named like a prefix of a mapped one is not that group
    expect(resolveIdentity(settings({ mode: "proxy" }), creds({ peer: "10.1.2.3", headers: { "x-forwarded-user": "bob", "x-forwarded-groups": "sres" } })).identity?.role).toBe("viewer");
  });
});

describe("tokens", () => {
  it("finds only the exact token", () => {
    expect(findToken(tokens, "viewer-token-1")?.user).toBe("vera");
    expect(findToken(tokens, "viewer-token-1 ")).toBeUndefined();
    expect(findToken(tokens, "")).toBeUndefined();
  });

  it("reads only Bearer authorization", () => {
    expect(bearerToken("Basic dXNlcjpwYXNz")).toBeNull();
    expect(bearerToken("Bearer")).toBeNull();
    expect(bearerToken("Bearer a b")).toBeNull();
  });

  it("a fingerprint is not the token", () => {
    expect(tokenFingerprint("operator-token-1")).not.toContain("operator");
    expect(tokenFingerprint("a")).not.toBe(tokenFingerprint("b"));
  });
});

describe("isCrossSiteMutation", () => {
  const base = { method: "POST", authorization: null, secFetchSite: null, origin: null, host: "dash.example:3000" };
  it("refuses a browser's mutation from another site, by Sec-Fetch-Site or Origin", () => {
    expect(isCrossSiteMutation({ ...base, secFetchSite: "cross-site" })).toBe(true);
    expect(isCrossSiteMutation({ ...base, secFetchSite: "same-site" })).toBe(true);
    expect(isCrossSiteMutation({ ...base, origin: "http://evil.example" })).toBe(true);
    expect(isCrossSiteMutation({ ...base, origin: "null" })).toBe(true);
    expect(isCrossSiteMutation({ ...base, origin: "http://dash.example:3001" })).toBe(true);
  });
  it("lets same-origin, reads, scripts with a token, and requests without browser headers through", () => {
    expect(isCrossSiteMutation({ ...base, secFetchSite: "same-origin", origin: "http://dash.example:3000" })).toBe(false);
    expect(isCrossSiteMutation({ ...base, origin: "http://dash.example:3000" })).toBe(false);
    expect(isCrossSiteMutation({ ...base, method: "GET", secFetchSite: "cross-site" })).toBe(false);
    expect(isCrossSiteMutation({ ...base, secFetchSite: "cross-site", authorization: "Bearer x-token-123" })).toBe(false);
    expect(isCrossSiteMutation(base)).toBe(false);
  });
});

describe("capabilities", () => {
  it("a viewer may do nothing that changes anything; an operator replays; only an admin edits alerts", () => {
    expect(Object.entries(capabilities("viewer")).filter(([k, v]) => v && k !== "read")).toEqual([]);
    expect(capabilities("operator")).toMatchObject({ replay: true, discard: true, editAlerts: false });
    expect(capabilities("admin")).toMatchObject({ replay: true, editAlerts: true });
  });
});
