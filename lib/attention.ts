import { statusSeverity, type GroupStatus } from "./kafka/group-health";
import { kafkaGroupHref, rabbitQueueDeadLettersHref } from "./dead-letter-links";
import { formatDuration } from "./kafka/view";

/**
 * "What is wrong right now", the home page's first answer: groups at WARN or worse with their lag in time and ETA,
 * dead-letter sources taking new dead letters, stuck workflows, unhealthy sources, firing alerts; each a link to its
 * page, worst first. Pure: app/_server/attention.ts reads the figures. "All healthy" may show only when this is empty.
 */

export const attentionKinds = ["alert", "source", "group", "dead_letters", "workflows"] as const;
export type AttentionKind = (typeof attentionKinds)[number];
export const attentionSeverities = ["critical", "warning", "info"] as const;
export type AttentionSeverity = (typeof attentionSeverities)[number];

export interface AttentionItem {
  kind: AttentionKind;
  severity: AttentionSeverity;
  title: string;
  detail: string;
  url: string;
  /** what orders items of a kind and severity: seconds behind, dead letters, workflows */
  weight: number;
}

export interface AttentionInput {
  groups: { cluster: string; groupId: string; status: GroupStatus; maxLagSeconds: number | null; totalLag: number | null; etaSeconds: number | null; inactive: boolean }[];
  /** dead letters captured in the last `windowMinutes`, per source */
  deadLetters: { system: string; sourceName: string; vhost: string | null; source: string; count: number }[];
  windowMinutes: number;
  stuckWorkflows: { name: string; count: number }[];
  sources: { system: string; name: string; healthy: boolean; error?: string | null }[];
  alerts?: { name: string; severity: string; summary: string; url: string }[];
}

const critical: GroupStatus[] = ["STOP", "STALL"];

export function attentionItems(input: AttentionInput): AttentionItem[] {
  const out: AttentionItem[] = [];
  const rank = (s: string) => (attentionSeverities.includes(s as AttentionSeverity) ? attentionSeverities.indexOf(s as AttentionSeverity) : 1);
  // alerts: one item per page they point at (ten rules on one group are one line), at the worst of their severities
  const byUrl = new Map<string, NonNullable<AttentionInput["alerts"]>>();
  for (const a of input.alerts ?? []) byUrl.set(a.url, [...(byUrl.get(a.url) ?? []), a]);
  for (const [url, all] of byUrl) {
    // worst first: the item says what its worst alert says
    const list = [...all].sort((a, b) => rank(a.severity) - rank(b.severity));
    const worst = list[0]!.severity as AttentionSeverity;
    const severity = attentionSeverities.includes(worst) ? worst : "warning";
    const names = [...new Set(list.map((a) => a.name))].sort();
    const title = names.length === 1 ? `alert ${names[0]} is firing` : `${names.length} alerts are firing: ${names.slice(0, 3).join(", ")}${names.length > 3 ? ", …" : ""}`;
    out.push({ kind: "alert", severity, title, detail: list.length === 1 ? list[0]!.summary : `${list[0]!.summary} (and ${list.length - 1} more)`, url, weight: list.length });
  }
  for (const s of input.sources.filter((x) => !x.healthy)) {
    out.push({ kind: "source", severity: "critical", title: `${s.system} ${s.name} is unhealthy`, detail: s.error ?? "the collectors cannot reach it", url: "/", weight: 0 });
  }
  for (const g of input.groups) {
    // an inactive group (no members for long) is an abandoned one, not a live problem
    if (g.inactive || statusSeverity[g.status] < statusSeverity.WARN) continue;
    const behind = g.maxLagSeconds !== null ? `${formatDuration(g.maxLagSeconds)} behind` : g.totalLag !== null ? `${g.totalLag.toLocaleString("en-US")} messages behind` : "behind";
    const eta = g.totalLag === 0 ? "caught up" : g.etaSeconds === null ? "not catching up" : `catching up in ${formatDuration(g.etaSeconds)}`;
    out.push({
      kind: "group",
      severity: critical.includes(g.status) ? "critical" : "warning",
      title: `consumer group ${g.groupId} on ${g.cluster} is ${g.status}`,
      detail: `${behind}, ${eta}${g.totalLag !== null ? ` (${g.totalLag.toLocaleString("en-US")} messages)` : ""}`,
      url: kafkaGroupHref(g.cluster, g.groupId),
      weight: g.maxLagSeconds ?? 0,
    });
  }
  for (const d of input.deadLetters.filter((x) => x.count > 0)) {
    out.push({
      kind: "dead_letters",
      severity: "warning",
      title: `${d.source} is taking dead letters`,
      detail: `${d.count.toLocaleString("en-US")} new in the last ${input.windowMinutes} min (${d.system}, ${d.sourceName})`,
      url:
        d.system === "rabbitmq"
          ? rabbitQueueDeadLettersHref(d.sourceName, d.vhost ?? "/", d.source)
          : `/dead-letters?${new URLSearchParams({ system: d.system, broker: d.sourceName, source: d.source, exact: "true" })}`,
      weight: d.count,
    });
  }
  for (const w of input.stuckWorkflows.filter((x) => x.count > 0)) {
    out.push({ kind: "workflows", severity: "warning", title: `${w.count.toLocaleString("en-US")} ${w.name || "unnamed"} workflows are stuck`, detail: "pending or running past WORKFLOW_STUCK_AFTER", url: `/workflows?${new URLSearchParams({ stuck: "true", name: w.name })}`, weight: w.count });
  }
  const sev = (s: AttentionSeverity) => attentionSeverities.indexOf(s);
  return out.sort((a, b) => sev(a.severity) - sev(b.severity) || attentionKinds.indexOf(a.kind) - attentionKinds.indexOf(b.kind) || b.weight - a.weight || a.title.localeCompare(b.title));
}
