import { route } from "@/app/api/_lib/handler";
import { search } from "@/app/_server/search";
import * as api from "@/lib/api/contracts/search";

export const dynamic = "force-dynamic";

export const GET = route(api.search, async ({ query }) => search(query));
