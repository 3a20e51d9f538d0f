import { route } from "@/app/api/_lib/handler";
import { getConsumerGroup } from "@/app/_server/kafka";
import * as api from "@/lib/api/contracts/kafka";

export const dynamic = "force-dynamic";

export const GET = route(api.getConsumerGroup, async ({ params, query }) => getConsumerGroup(params.cluster, params.groupId, query));
