import { route } from "@/app/api/_lib/handler";
import { getWorkflowSummary } from "@/app/_server/workflows";
import * as api from "@/lib/api/contracts/workflows";

export const dynamic = "force-dynamic";

export const GET = route(api.getWorkflowSummary, async ({ query }) => getWorkflowSummary(query));
