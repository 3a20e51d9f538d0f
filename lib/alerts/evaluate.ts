import { failureGroupHref, kafkaGroupHref, rabbitQueueDeadLettersHref } from "../dead-letter-links";
import { statusSeverity, type GroupStatus } from "../kafka/group-health";
import { formatDuration } from "../kafka/view";
import { matchesAny } from "../patterns";
import { effectiveRule, type AlertRuleInput, type AlertScope } from "./rules";

/**
 * What each rule says of the world now (pure): one instance per thing it watches that its scope matches (a group, a
 * dead-letter source, a workflow name, a source), active or not, with the labels, the summary and the page that
 * explains it. The engine (collectors/alerts/engine.ts) keeps each instance's state across evaluations and restarts.
 */

export interface AlertObservations {
  nowMs: number;
  groups: { cluster: string; group: string; status: GroupStatus; maxLagSeconds: number | null; totalLag: number | null; inactive: boolean }[];
  /** dead letters captured per source over the longest window any rule asks for, with their capture times (ms), newest first */
  deadLetters: { system: string; sourceName: string; vhost: string | null; source: string; capturedMs: number[] }[];
  /** the same per failure group (lib/failure-groups.ts), with what the group is */
  deadLetterGroups: { failureGroup: string; destination: string | null; failureType: string | null; reason: string | null; capturedMs: number[] }[];
  stuckWorkflows: { name: string; count: number }[];
  sources: { system: string; name: string; healthy: boolean; error: string | null }[];
  /** when the OTLP receiver last refused an export (503), if it did */
  otlpLastRefusalMs: number | null;
}

export interface AlertInstance {
  /** the thing watched, unique within the rule: `local/shop-analytics-slow`, `rabbitmq/local///orders.dlq` */
  key: string;
  active: boolean;
  value: number | null;
  labels: Record<string, string>;
  summary: string;
  /** the Switchyard page that explains it (relative) */
  path: string;
}

const fits = (glob: string | undefined, value: string | null | undefined) => glob === undefined || matchesAny(value ?? "", [glob]);
const inScope = (s: AlertScope, x: { cluster?: string; group?: string; broker?: string; queue?: string; source?: string; workflow?: string }) =>
  fits(s.cluster, x.cluster) && fits(s.group, x.group) && fits(s.broker, x.broker) && fits(s.queue, x.queue) && fits(s.source, x.source) && fits(s.workflow, x.workflow);

export function evaluateRule(rule: AlertRuleInput, o: AlertObservations): AlertInstance[] {
  const r = effectiveRule(rule);
  const s = r.scope;
  switch (r.kind) {
    case "lag_status": {
      const at = statusSeverity[r.status ?? "WARN"];
      return o.groups
        .filter((g) => !g.inactive && inScope(s, { cluster: g.cluster, group: g.group }))
        .map((g) => ({
          key: `${g.cluster}/${g.group}`,
          active: statusSeverity[g.status] >= at,
          value: statusSeverity[g.status],
          // the status is in the summary, not a label: a label that changes would make another alert of it
          labels: { cluster: g.cluster, group: g.group },
          summary: `consumer group ${g.group} on ${g.cluster} is ${g.status}${g.maxLagSeconds !== null ? `, ${formatDuration(g.maxLagSeconds)} behind` : ""}`,
          path: kafkaGroupHref(g.cluster, g.group),
        }));
    }
    case "lag_seconds":
      return o.groups
        .filter((g) => !g.inactive && inScope(s, { cluster: g.cluster, group: g.group }))
        .map((g) => ({
          key: `${g.cluster}/${g.group}`,
          active: g.maxLagSeconds !== null && g.maxLagSeconds > r.threshold,
          value: g.maxLagSeconds,
          labels: { cluster: g.cluster, group: g.group },
          summary: `consumer group ${g.group} on ${g.cluster} is ${formatDuration(g.maxLagSeconds)} behind (over ${formatDuration(r.threshold)})`,
          path: kafkaGroupHref(g.cluster, g.group),
        }));
    case "dead_letters_growth": {
      const since = o.nowMs - r.windowMinutes * 60_000;
      if (s.failureGroup !== undefined)
        return o.deadLetterGroups
          .filter((g) => fits(s.failureGroup, g.failureGroup))
          .map((g) => {
            const n = g.capturedMs.filter((t) => t > since).length;
            const what = [g.destination, g.failureType ?? g.reason].filter(Boolean).join(": ");
            return {
              key: `failure-group/${g.failureGroup}`,
              active: n >= Math.max(1, r.threshold),
              value: n,
              labels: { failure_group: g.failureGroup, ...(g.destination !== null ? { destination: g.destination } : {}) },
              summary: `${n} dead letter${n === 1 ? "" : "s"} in failure group ${g.failureGroup}${what ? ` (${what})` : ""} within ${r.windowMinutes} min`,
              path: failureGroupHref(g.failureGroup),
            };
          });
      return o.deadLetters
        .filter((d) => inScope(s, { source: d.source, queue: d.system === "rabbitmq" ? d.source : undefined, broker: d.sourceName, cluster: d.system === "kafka" ? d.sourceName : undefined }))
        .map((d) => {
          const n = d.capturedMs.filter((t) => t > since).length;
          return {
            key: `${d.system}/${d.sourceName}/${d.vhost ?? ""}/${d.source}`,
            active: n >= Math.max(1, r.threshold),
            value: n,
            labels: { system: d.system, broker: d.sourceName, source: d.source, ...(d.vhost !== null ? { vhost: d.vhost } : {}) },
            summary: `${n} dead letter${n === 1 ? "" : "s"} in ${d.source} (${d.system}, ${d.sourceName}) within ${r.windowMinutes} min`,
            path:
              d.system === "rabbitmq"
                ? rabbitQueueDeadLettersHref(d.sourceName, d.vhost ?? "/", d.source)
                : `/dead-letters?${new URLSearchParams({ system: d.system, broker: d.sourceName, source: d.source, exact: "true" })}`,
          };
        });
    }
    case "workflows_stuck":
      return o.stuckWorkflows
        .filter((w) => inScope(s, { workflow: w.name }))
        .map((w) => ({
          key: w.name,
          active: w.count > r.threshold,
          value: w.count,
          labels: { workflow: w.name },
          summary: `${w.count} ${w.name || "unnamed"} workflows are stuck`,
          path: `/workflows?${new URLSearchParams({ stuck: "true", name: w.name })}`,
        }));
    case "source_unhealthy":
      return o.sources
        .filter((x) => inScope(s, { source: x.name, broker: x.system === "rabbitmq" ? x.name : undefined, cluster: x.system === "kafka" ? x.name : undefined }))
        .map((x) => ({
          key: `${x.system}/${x.name}`,
          active: !x.healthy,
          value: x.healthy ? 0 : 1,
          labels: { system: x.system, source: x.name },
          summary: x.healthy ? `${x.system} ${x.name} is healthy` : `${x.system} ${x.name} is unhealthy: ${x.error ?? "no report"}`,
          path: "/",
        }));
    case "otlp_refusals": {
      // refusing "now": a 503 within the rule's windowMinutes, by default the last minute (exporters retry a refused
      // export within seconds, so a minute without a refusal means the receiver takes them again)
      const within = (rule.windowMinutes ?? 1) * 60_000;
      const refusing = o.otlpLastRefusalMs !== null && o.nowMs - o.otlpLastRefusalMs < within;
      return [{ key: "otlp", active: refusing, value: refusing ? 1 : 0, labels: { source: "otlp" }, summary: refusing ? "the OTLP receiver is refusing exports (503: storage behind)" : "the OTLP receiver takes exports", path: "/" }];
    }
  }
}

export const alertStates = ["pending", "firing", "resolved"] as const;
export type AlertState = (typeof alertStates)[number];

export interface InstanceState {
  state: AlertState;
  /** since when the condition has held (pending and firing) */
  activeSinceMs: number | null;
  firedAtMs: number | null;
  resolvedAtMs: number | null;
}

/**
 * One instance's next state: the condition must hold `forMinutes` before it fires; it resolves once, when the
 * condition clears after firing (a pending one that clears simply ends). `event` says what to deliver.
 */
export function nextState(prev: InstanceState | null, active: boolean, nowMs: number, forMinutes: number): { state: InstanceState | null; event: "fired" | "resolved" | null } {
  if (active) {
    const since = prev && (prev.state === "pending" || prev.state === "firing") ? (prev.activeSinceMs ?? nowMs) : nowMs;
    if (prev?.state === "firing") return { state: prev, event: null };
    if (nowMs - since >= forMinutes * 60_000) return { state: { state: "firing", activeSinceMs: since, firedAtMs: nowMs, resolvedAtMs: null }, event: "fired" };
    return { state: { state: "pending", activeSinceMs: since, firedAtMs: null, resolvedAtMs: null }, event: null };
  }
  if (prev?.state === "firing") return { state: { ...prev, state: "resolved", resolvedAtMs: nowMs }, event: "resolved" };
  if (prev?.state === "pending") return { state: null, event: null };
  return { state: prev, event: null };
}
