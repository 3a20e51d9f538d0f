import { route } from "@/app/api/_lib/handler";
import { serverContext } from "@/app/_server/context";
import { createReplay } from "@/db/mutations/create-replay";
import { listReplays } from "@/db/queries/replays";
import * as api from "@/lib/api/contracts/replays";
import { selectionOf } from "@/lib/dead-letter-selection";
import { replayRate } from "@/lib/replay/rate";

export const dynamic = "force-dynamic";

export const POST = route(api.createReplay, async ({ body, actor, config }) =>
  createReplay(
    serverContext().db.db,
    {
      selection: selectionOf(body),
      destination: body.destination ?? null,
      ratePerSecond: replayRate(body.ratePerSecond, config),
      force: body.force ?? false,
      dryRun: body.dryRun ?? false,
      maxAttempts: config.REPLAY_MAX_ATTEMPTS,
      keepPartition: body.keepPartition ?? false,
      throughId: body.throughId,
    },
    actor,
  ),
);

export const GET = route(api.listReplays, async ({ query }) => listReplays(serverContext().db.db, query));
