import { route } from "@/app/api/_lib/handler";
import { serverContext } from "@/app/_server/context";
import { pauseReplay } from "@/db/mutations/pause-replay";
import * as api from "@/lib/api/contracts/replays";

export const dynamic = "force-dynamic";

export const POST = route(api.pauseReplay, async ({ params, actor }) => pauseReplay(serverContext().db.db, params.id, actor));
