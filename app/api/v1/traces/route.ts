import { route } from "@/app/api/_lib/handler";
import { searchTraceSummaries } from "@/app/_server/traces";
import * as api from "@/lib/api/contracts/traces";

export const dynamic = "force-dynamic";

export const GET = route(api.searchTraces, async ({ query }) => searchTraceSummaries(query));
