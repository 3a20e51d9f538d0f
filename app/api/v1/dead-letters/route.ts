import { route } from "@/app/api/_lib/handler";
import { listDeadLetterItems } from "@/app/_server/dead-letters";
import * as api from "@/lib/api/contracts/dead-letters";

export const dynamic = "force-dynamic";

export const GET = route(api.listDeadLetters, async ({ query }) => listDeadLetterItems(query));
