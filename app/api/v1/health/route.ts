import { route } from "@/app/api/_lib/handler";
import { getHealth } from "@/app/_server/health";
import * as api from "@/lib/api/contracts/health";

export const dynamic = "force-dynamic";

export const GET = route(api.getHealth, async () => getHealth());
