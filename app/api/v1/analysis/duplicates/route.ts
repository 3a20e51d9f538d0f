import { route } from "@/app/api/_lib/handler";
import { getDuplicates } from "@/app/_server/analysis";
import * as api from "@/lib/api/contracts/analysis";

export const dynamic = "force-dynamic";

export const GET = route(api.getDuplicates, async ({ query }) => getDuplicates(query));
