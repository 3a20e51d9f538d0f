import { route } from "@/app/api/_lib/handler";
import { getWorkflow } from "@/app/_server/workflows";
import * as api from "@/lib/api/contracts/workflows";

export const dynamic = "force-dynamic";

export const GET = route(api.getWorkflow, async ({ params }) => getWorkflow(params.id));
