import { route } from "@/app/api/_lib/handler";
import { getAttention } from "@/app/_server/attention";
import * as api from "@/lib/api/contracts/attention";

export const dynamic = "force-dynamic";

export const GET = route(api.getAttention, async () => getAttention());
