import { route } from "@/app/api/_lib/handler";
import { getQueueDetail } from "@/app/_server/rabbitmq";
import * as api from "@/lib/api/contracts/rabbitmq";

export const dynamic = "force-dynamic";

/** Next hands route handlers their segments decoded once, so the default vhost "/" (sent as %2F) arrives as "/". */
export const GET = route(api.getQueue, async ({ params, query }) => getQueueDetail(params.broker, params.vhost, params.name, query));
