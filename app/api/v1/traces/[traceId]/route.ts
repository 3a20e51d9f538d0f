import { route } from "@/app/api/_lib/handler";
import { getTrace } from "@/app/_server/traces";
import * as api from "@/lib/api/contracts/traces";

export const dynamic = "force-dynamic";

export const GET = route(api.getTrace, async ({ params, query }) => getTrace(params.traceId, { stitch: query.stitch === "linked" }));
