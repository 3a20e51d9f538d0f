import { route } from "@/app/api/_lib/handler";
import { getTrace, traceIdParam } from "@/app/_server/traces";

export const dynamic = "force-dynamic";

export const GET = route(async (_req, ctx: { params: Promise<{ traceId: string }> }) => getTrace(traceIdParam.parse((await ctx.params).traceId)));
