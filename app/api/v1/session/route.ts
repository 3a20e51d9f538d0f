import { route } from "@/app/api/_lib/handler";
import { authSettings, isHttps, sealSession, sessionCookieName, sessionCookieOptions } from "@/app/_server/auth";
import { serverContext } from "@/app/_server/context";
import { signIn } from "@/db/mutations/sign-in";
import { signOut } from "@/db/mutations/sign-out";
import * as api from "@/lib/api/contracts/auth";

export const dynamic = "force-dynamic";

export const POST = route(api.signIn, async ({ req, config, body, actor, cookies }) => {
  const r = await signIn(serverContext().db.db, authSettings(config), body.token, actor);
  cookies.push({ name: sessionCookieName, value: await sealSession(config, r.session), options: sessionCookieOptions(config, isHttps(config, req.url, req.headers)) });
  return { user: r.user, role: r.role };
});

export const DELETE = route(api.signOut, async ({ req, config, identity, actor, cookies }) => {
  await signOut(serverContext().db.db, identity?.via === "session" ? actor : null);
  cookies.push({ name: sessionCookieName, value: "", options: { ...sessionCookieOptions(config, isHttps(config, req.url, req.headers)), maxAge: 0 } });
  return null;
});
