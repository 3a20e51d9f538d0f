import "server-only";
import type { z } from "zod";
import type { attentionSchema } from "@/lib/api/contracts/attention";
import { recentDeadLetterSources, stuckWorkflowsByName } from "@/db/queries/attention";
import { firingAlerts } from "@/db/queries/alerts";
import { listGroupStatuses } from "@/db/queries/kafka";
import { attentionItems } from "@/lib/attention";
import type { GroupStatus } from "@/lib/kafka/group-health";
import { isInactive } from "@/lib/kafka/view";
import { serverContext } from "./context";
import { getHealth } from "./health";

/** Dead letters captured within this many minutes make their source "taking dead letters". */
const windowMinutes = 15;

export async function getAttention(): Promise<z.input<typeof attentionSchema>> {
  const { config, db } = serverContext();
  const now = Date.now();
  const health = await getHealth();
  const dbUp = health.sources.find((s) => s.system === "postgres")?.healthy !== false;
  const [groups, deadLetters, stuck, firing] = dbUp
    ? await Promise.all([listGroupStatuses(db.db), recentDeadLetterSources(db.db, windowMinutes), stuckWorkflowsByName(db.db), firingAlerts(db.db)])
    : [[], [], [], []];
  const items = attentionItems({
    groups: groups.map((g) => ({
      cluster: g.cluster,
      groupId: g.groupId,
      status: g.status as GroupStatus,
      maxLagSeconds: g.maxLagSeconds,
      totalLag: g.totalLag,
      etaSeconds: g.etaSeconds,
      inactive: isInactive(g.emptySince, config.KAFKA_INACTIVE_AFTER, now),
    })),
    deadLetters,
    windowMinutes,
    stuckWorkflows: stuck,
    sources: health.sources.map((s) => ({ system: s.system, name: s.name, healthy: s.healthy, error: s.error ?? null })),
    alerts: firing.map((f) => ({ name: f.ruleName, severity: f.severity, summary: f.summary, url: f.path })),
  });
  return { checkedAt: new Date(now).toISOString(), windowMinutes, items: items.map(({ weight: _w, ...i }) => i), allHealthy: items.length === 0 };
}
