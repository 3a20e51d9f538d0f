import { route } from "@/app/api/_lib/handler";
import { queryOf } from "@/app/api/_lib/params";
import { deadLetterListQuery, listDeadLetterItems } from "@/app/_server/dead-letters";

export const dynamic = "force-dynamic";

export const GET = route(async (req) => listDeadLetterItems(queryOf(req, deadLetterListQuery)));
