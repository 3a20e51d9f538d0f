import { route } from "@/app/api/_lib/handler";
import { alertTargets, ruleOut } from "@/app/_server/alerts";
import { serverContext } from "@/app/_server/context";
import { deleteAlertRule } from "@/db/mutations/delete-alert-rule";
import { updateAlertRule } from "@/db/mutations/update-alert-rule";
import * as api from "@/lib/api/contracts/alerts";

export const dynamic = "force-dynamic";

export const PUT = route(api.updateAlertRule, async ({ params, body, actor }) => ruleOut(await updateAlertRule(serverContext().db.db, params.id, body, actor, alertTargets())));
export const DELETE = route(api.deleteAlertRule, async ({ params, actor }) => ruleOut(await deleteAlertRule(serverContext().db.db, params.id, actor, alertTargets())));
