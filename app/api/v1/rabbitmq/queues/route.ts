import { route } from "@/app/api/_lib/handler";
import { queryOf } from "@/app/api/_lib/params";
import { listQueueItems, queueListQuery } from "@/app/_server/rabbitmq";

export const dynamic = "force-dynamic";

export const GET = route(async (req) => listQueueItems(queryOf(req, queueListQuery)));
