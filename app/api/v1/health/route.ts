import { route } from "@/app/api/_lib/handler";
import { getHealth } from "@/app/_server/health";

export const dynamic = "force-dynamic";

export const GET = route(async () => getHealth());
