import { route } from "@/app/api/_lib/handler";
import { queryOf } from "@/app/api/_lib/params";
import { getConsumerGroup, groupDetailQuery } from "@/app/_server/kafka";

export const dynamic = "force-dynamic";

export const GET = route(async (req, ctx: { params: Promise<{ cluster: string; groupId: string }> }) => {
  const { cluster, groupId } = await ctx.params;
  return getConsumerGroup(cluster, groupId, queryOf(req, groupDetailQuery));
});
