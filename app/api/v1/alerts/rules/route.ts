import { route } from "@/app/api/_lib/handler";
import { ruleOut } from "@/app/_server/alerts";
import { serverContext } from "@/app/_server/context";
import { createAlertRule } from "@/db/mutations/create-alert-rule";
import * as api from "@/lib/api/contracts/alerts";

export const dynamic = "force-dynamic";

export const POST = route(api.createAlertRule, async ({ body, actor }) => ruleOut(await createAlertRule(serverContext().db.db, body, actor)));
