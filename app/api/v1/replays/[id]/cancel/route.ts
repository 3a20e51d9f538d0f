import { route } from "@/app/api/_lib/handler";
import { serverContext } from "@/app/_server/context";
import { cancelReplay } from "@/db/mutations/cancel-replay";
import * as api from "@/lib/api/contracts/replays";

export const dynamic = "force-dynamic";

export const POST = route(api.cancelReplay, async ({ params, actor }) => cancelReplay(serverContext().db.db, params.id, actor));
