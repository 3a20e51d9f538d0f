import { route } from "@/app/api/_lib/handler";
import { serverContext } from "@/app/_server/context";
import { editAndReplay } from "@/db/mutations/edit-and-replay";
import * as api from "@/lib/api/contracts/replays";
import { replayRate } from "@/lib/replay/rate";

export const dynamic = "force-dynamic";

export const POST = route(api.editAndReplay, async ({ params, body, actor, config }) =>
  editAndReplay(
    serverContext().db.db,
    {
      id: params.id,
      payload: body.payload === undefined ? null : "text" in body.payload ? Buffer.from(body.payload.text, "utf8") : Buffer.from(body.payload.base64, "base64"),
      headers: body.headers ?? null,
      destination: body.destination,
      ratePerSecond: replayRate(body.ratePerSecond, config),
      force: body.force ?? false,
      maxAttempts: config.REPLAY_MAX_ATTEMPTS,
      reason: body.reason ?? null,
    },
    actor,
  ),
);
