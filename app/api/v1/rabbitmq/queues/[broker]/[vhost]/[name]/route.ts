import { route } from "@/app/api/_lib/handler";
import { queryOf } from "@/app/api/_lib/params";
import { getQueueDetail, queueDetailQuery } from "@/app/_server/rabbitmq";

export const dynamic = "force-dynamic";

/** The default vhost "/" travels as %2F, as in the management API. */
export const GET = route(async (req, ctx: { params: Promise<{ broker: string; vhost: string; name: string }> }) => {
  const { broker, vhost, name } = await ctx.params;
  return getQueueDetail(decodeURIComponent(broker), decodeURIComponent(vhost), decodeURIComponent(name), queryOf(req, queueDetailQuery));
});
