import { route } from "@/app/api/_lib/handler";
import { queryOf } from "@/app/api/_lib/params";
import { getQueueDetail, queueDetailQuery } from "@/app/_server/rabbitmq";

export const dynamic = "force-dynamic";

/** The default vhost "/" travels as %2F, as in the management API. Next hands route handlers their segments decoded once. */
export const GET = route(async (req, ctx: { params: Promise<{ broker: string; vhost: string; name: string }> }) => {
  const { broker, vhost, name } = await ctx.params;
  return getQueueDetail(broker, vhost, name, queryOf(req, queueDetailQuery));
});
