import { route } from "@/app/api/_lib/handler";
import { getDeadLetterItem } from "@/app/_server/dead-letters";
import * as api from "@/lib/api/contracts/dead-letters";

export const dynamic = "force-dynamic";

export const GET = route(api.getDeadLetter, async ({ params }) => getDeadLetterItem(params.id));
