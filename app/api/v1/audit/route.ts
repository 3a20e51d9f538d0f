import { route } from "@/app/api/_lib/handler";
import { listAuditEntries } from "@/app/_server/audit";
import * as api from "@/lib/api/contracts/audit";

export const dynamic = "force-dynamic";

export const GET = route(api.listAudit, async ({ query }) => listAuditEntries(query));
