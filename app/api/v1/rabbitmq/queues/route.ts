import { route } from "@/app/api/_lib/handler";
import { listQueueItems } from "@/app/_server/rabbitmq";
import * as api from "@/lib/api/contracts/rabbitmq";

export const dynamic = "force-dynamic";

export const GET = route(api.listQueues, async ({ query }) => listQueueItems(query));
