import { z } from "zod";
import { roles } from "../../auth/roles";
import { authModes } from "../../auth/modes";
import { endpoint } from "../endpoint";

export const capabilitiesSchema = z
  .object({
    read: z.boolean(),
    replay: z.boolean(),
    discard: z.boolean(),
    editMessages: z.boolean(),
    editAlerts: z.boolean(),
    configure: z.boolean(),
  })
  .meta({ id: "Capabilities", description: "What the caller may do: the UI shows only these controls" });

export const meSchema = z
  .object({
    user: z.string(),
    role: z.enum(roles),
    mode: z.enum(authModes),
    via: z.enum(["open", "token", "session", "proxy"]),
    can: capabilitiesSchema,
  })
  .meta({ id: "Me" });

export const getMe = endpoint({
  method: "GET",
  path: "/api/v1/me",
  tag: "auth",
  summary: "Who the caller is, in which auth mode, and what their role lets them do",
  role: "viewer",
  response: meSchema,
});

export const signIn = endpoint({
  method: "POST",
  path: "/api/v1/session",
  tag: "auth",
  summary: "Sign in with a token (token mode): sets an httpOnly, SameSite=Lax, sealed session cookie",
  description: "401 on a token that is not configured; 409 when the dashboard is not in token mode. Audited (sign-in, and every refused attempt).",
  role: "viewer",
  authenticated: false,
  checksCredentials: true,
  // not strict: an unknown key is dropped, never echoed (a token pasted as a key would be)
  body: z.object({ token: z.string().min(1).max(1000) }),
  response: z.object({ user: z.string(), role: z.enum(roles) }).meta({ id: "SignedIn" }),
  errors: [409],
  audit: { action: "session.sign_in", targetType: "session" },
});

export const signOut = endpoint({
  method: "DELETE",
  path: "/api/v1/session",
  tag: "auth",
  summary: "Sign out: clears the session cookie (audited when there was a session)",
  role: "viewer",
  authenticated: false,
  response: z.null(),
  status: 204,
  audit: { action: "session.sign_out", targetType: "session" },
});
