import { route } from "@/app/api/_lib/handler";
import { listAlerts } from "@/app/_server/alerts";
import * as api from "@/lib/api/contracts/alerts";

export const dynamic = "force-dynamic";

export const GET = route(api.listAlerts, async () => listAlerts());
