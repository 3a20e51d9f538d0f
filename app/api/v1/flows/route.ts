import { route } from "@/app/api/_lib/handler";
import { getFlows } from "@/app/_server/flows";
import * as api from "@/lib/api/contracts/flows";

export const dynamic = "force-dynamic";

export const GET = route(api.getFlows, async ({ query }) => getFlows(query));
