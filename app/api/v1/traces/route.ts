import { route } from "@/app/api/_lib/handler";
import { parseTraceSearch, searchTraceSummaries } from "@/app/_server/traces";

export const dynamic = "force-dynamic";

export const GET = route(async (req) => searchTraceSummaries(parseTraceSearch(req.nextUrl.searchParams)));
