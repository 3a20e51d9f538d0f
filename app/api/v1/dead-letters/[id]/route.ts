import { route } from "@/app/api/_lib/handler";
import { getDeadLetterItem, idParam } from "@/app/_server/dead-letters";

export const dynamic = "force-dynamic";

export const GET = route(async (_req, ctx: { params: Promise<{ id: string }> }) => getDeadLetterItem(idParam.parse((await ctx.params).id)));
