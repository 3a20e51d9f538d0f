import { route } from "@/app/api/_lib/handler";
import { serverContext } from "@/app/_server/context";
import { discardDeadLetters } from "@/db/mutations/discard-dead-letters";
import * as api from "@/lib/api/contracts/dead-letters";
import { selectionOf } from "@/lib/dead-letter-selection";

export const dynamic = "force-dynamic";

export const POST = route(api.discardDeadLetters, async ({ body, actor }) => discardDeadLetters(serverContext().db.db, { selection: selectionOf(body), reason: body.reason }, actor));
