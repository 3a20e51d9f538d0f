import { route } from "@/app/api/_lib/handler";
import { listFailureGroupItems } from "@/app/_server/dead-letters";
import * as api from "@/lib/api/contracts/dead-letters";

export const dynamic = "force-dynamic";

export const GET = route(api.listFailureGroups, async ({ query }) => listFailureGroupItems(query));
