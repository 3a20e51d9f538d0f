import { route } from "@/app/api/_lib/handler";
import { serverContext } from "@/app/_server/context";
import { resumeReplay } from "@/db/mutations/resume-replay";
import * as api from "@/lib/api/contracts/replays";

export const dynamic = "force-dynamic";

export const POST = route(api.resumeReplay, async ({ params, actor }) => resumeReplay(serverContext().db.db, params.id, actor));
