import { route } from "@/app/api/_lib/handler";
import { serverContext } from "@/app/_server/context";
import { restoreDeadLetters } from "@/db/mutations/restore-dead-letters";
import * as api from "@/lib/api/contracts/dead-letters";
import { selectionOf } from "@/lib/dead-letter-selection";

export const dynamic = "force-dynamic";

export const POST = route(api.restoreDeadLetters, async ({ body, actor }) => restoreDeadLetters(serverContext().db.db, { selection: selectionOf(body), note: body.note }, actor));
