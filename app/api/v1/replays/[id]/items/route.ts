import { route } from "@/app/api/_lib/handler";
import { serverContext } from "@/app/_server/context";
import { listReplayItems } from "@/db/queries/replays";
import * as api from "@/lib/api/contracts/replays";
import { NotFoundError } from "@/lib/errors";

export const dynamic = "force-dynamic";

export const GET = route(api.listReplayItems, async ({ params, query }) => {
  const r = await listReplayItems(serverContext().db.db, params.id, query);
  if (!r) throw new NotFoundError(`no replay ${params.id}`);
  return r;
});
