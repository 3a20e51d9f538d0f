import { route } from "@/app/api/_lib/handler";
import { getSyncChains } from "@/app/_server/analysis";
import * as api from "@/lib/api/contracts/analysis";

export const dynamic = "force-dynamic";

export const GET = route(api.getSyncChains, async ({ query }) => getSyncChains(query));
