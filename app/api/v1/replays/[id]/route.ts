import { route } from "@/app/api/_lib/handler";
import { serverContext } from "@/app/_server/context";
import { getReplay } from "@/db/queries/replays";
import * as api from "@/lib/api/contracts/replays";
import { NotFoundError } from "@/lib/errors";

export const dynamic = "force-dynamic";

export const GET = route(api.getReplay, async ({ params }) => {
  const r = await getReplay(serverContext().db.db, params.id);
  if (!r) throw new NotFoundError(`no replay ${params.id}`);
  return r;
});
