import { route } from "@/app/api/_lib/handler";
import * as api from "@/lib/api/contracts/auth";
import { capabilities } from "@/lib/auth/identity";

export const dynamic = "force-dynamic";

export const GET = route(api.getMe, async ({ identity, config }) => ({
  user: identity.user,
  role: identity.role,
  mode: config.AUTH_MODE,
  via: identity.via,
  can: capabilities(identity.role),
}));
