import type { FlowEdge, FlowGraph, FlowNode } from "./graph";
import type { FlowHealth, FlowNodeKind } from "./model";
import type { TimeRange } from "../time-range";
import { kafkaGroupHref, rabbitQueueHref } from "../dead-letter-links";

/**
 * What the flow map page draws, prepared from the API's graph: labels (plain text), sizes and the layered layout's
 * input (elkjs), and each node's and edge's links. Pure, so the page only renders.
 */

export const kindLabel: Record<FlowNodeKind, string> = { service: "service", topic: "topic", exchange: "exchange", queue: "queue", dlq: "dead-letter queue", dlt: "dead-letter topic" };

const round = (x: number) => (x >= 100 ? Math.round(x).toLocaleString("en-US") : x >= 10 ? x.toFixed(1) : x >= 1 ? x.toFixed(2) : x.toFixed(3));

export function formatRate(perSecond: number): string {
  if (perSecond <= 0) return "0/s";
  if (perSecond < 0.1) return `${round(perSecond * 60)}/min`;
  return `${round(perSecond)}/s`;
}

export function formatSeconds(s: number): string {
  if (s < 60) return `${Math.round(s)} s`;
  if (s < 3600) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

/** An edge's label: how it couples and what it means, then rate, p95 and errors when there are any. */
export function edgeLabel(e: FlowEdge): string {
  const parts = [`${e.coupling} · ${e.intent}`];
  if (e.kind === "dead_letter") return `dead-letters${e.count ? ` · ${e.count.toLocaleString("en-US")}` : ""}`;
  if (e.kind === "route") return `routes · ${e.intent}${e.method ? ` · ${e.method}` : ""}`;
  parts.push(formatRate(e.rate));
  if (e.p95Ms !== null) parts.push(`p95 ${e.p95Ms.toLocaleString("en-US")} ms`);
  if (e.errors > 0) parts.push(`${(e.errorRate * 100).toFixed(e.errorRate < 0.01 ? 2 : 1)}% err`);
  return parts.join(" · ");
}

/** A node's lines under its name: the worst lag of a topic, a queue's depth, its dead letters. */
export function nodeLines(n: FlowNode): string[] {
  const lines: string[] = [];
  // a name in several clusters or vhosts: each box says where it is (spans' traffic that cannot say goes apart)
  if (n.unplaced) lines.push("where: not known (spans)");
  else if (n.id.includes("@")) lines.push(n.cluster !== undefined ? `cluster ${n.cluster}` : `${n.broker ?? "?"} · vhost ${n.vhost ?? "?"}`);
  if (n.lag?.length) {
    const worst = [...n.lag].sort((a, b) => (b.seconds ?? -1) - (a.seconds ?? -1) || (b.messages ?? -1) - (a.messages ?? -1))[0]!;
    lines.push(`lag ${worst.messages === null ? "?" : worst.messages.toLocaleString("en-US")} msgs${worst.seconds !== null ? ` / ${formatSeconds(worst.seconds)}` : ""} (${worst.group} ${worst.status})`);
    if (n.lag.length > 1) lines.push(`${n.lag.length} consumer groups`);
  }
  if (n.depth) lines.push(`depth ${(n.depth.ready ?? 0).toLocaleString("en-US")} ready · ${n.depth.consumers ?? 0} consumers`);
  if (n.deadLetters) lines.push(`${n.deadLetters.toLocaleString("en-US")} dead letters`);
  return lines;
}

/** Width and height of a node's box from its text (monospace-ish estimate, in px). */
export function nodeSize(n: FlowNode): { width: number; height: number } {
  const lines = [n.name, kindLabel[n.kind], ...nodeLines(n)];
  const longest = Math.max(...lines.map((l) => l.length));
  return { width: Math.min(360, Math.max(140, 16 + longest * 7.2)), height: 28 + lines.length * 16 };
}

export const healthClass: Record<FlowHealth, string> = { unknown: "flow-unknown", healthy: "flow-healthy", degraded: "flow-degraded", failing: "flow-failing" };

/** The layered layout's input: left to right, edges routed around the boxes. */
export function elkInput(g: FlowGraph) {
  return {
    id: "root",
    layoutOptions: {
      "elk.algorithm": "layered",
      "elk.direction": "RIGHT",
      "elk.layered.spacing.nodeNodeBetweenLayers": "110",
      "elk.spacing.nodeNode": "40",
      "elk.edgeRouting": "SPLINES",
      "elk.layered.nodePlacement.strategy": "BRANDES_KOEPF",
    },
    children: g.nodes.map((n) => ({ id: n.id, ...nodeSize(n) })),
    edges: g.edges.map((e) => ({ id: e.id, sources: [e.source], targets: [e.target] })),
  };
}

export interface FlowLink {
  label: string;
  href: string;
}

/** Where to look next from a node: its traces (pre-filtered), its lag, its queue, its dead letters. */
export function nodeLinks(n: FlowNode, range: TimeRange): FlowLink[] {
  const links: FlowLink[] = [];
  if (n.kind === "service") links.push({ label: "traces of this service", href: `/traces?${new URLSearchParams({ service: n.name, range })}` });
  else links.push({ label: `traces through this ${kindLabel[n.kind]}`, href: `/traces?${new URLSearchParams({ destination: n.name, range })}` });
  for (const l of n.lag ?? []) links.push({ label: `lag of ${l.group}`, href: kafkaGroupHref(l.cluster, l.group) });
  if ((n.kind === "queue" || n.kind === "dlq") && n.broker && n.vhost !== undefined) links.push({ label: "the queue", href: rabbitQueueHref(n.broker, n.vhost, n.name) });
  const where: Record<string, string> = n.kind === "dlt" && n.cluster !== undefined ? { broker: n.cluster } : n.kind === "dlq" && n.broker !== undefined ? { broker: n.broker, vhost: n.vhost ?? "/" } : {};
  if (n.kind === "dlq" || n.kind === "dlt") links.push({ label: "its dead letters", href: `/dead-letters?${new URLSearchParams({ system: n.system ?? "", ...where, source: n.name, exact: "true" })}` });
  else if (n.kind !== "service" && n.deadLetters) links.push({ label: "dead letters it lost", href: `/dead-letters?${new URLSearchParams({ system: n.system ?? "", q: n.name })}` });
  return links;
}

/** Where to look next from an edge: the traces across it. */
export function edgeLinks(e: FlowEdge, g: FlowGraph, range: TimeRange): FlowLink[] {
  const name = (id: string) => g.nodes.find((n) => n.id === id);
  const s = name(e.source);
  const t = name(e.target);
  if (!s || !t) return [];
  if (e.kind === "call") return [{ label: "traces of these calls", href: `/traces?${new URLSearchParams({ service: t.name, range })}` }];
  if (e.kind === "publish") return [{ label: "traces of these publishes", href: `/traces?${new URLSearchParams({ service: s.name, destination: t.name, range })}` }];
  if (e.kind === "route") return t.broker && t.vhost !== undefined ? [{ label: "the queue", href: rabbitQueueHref(t.broker, t.vhost, t.name) }] : [];
  if (e.kind === "consume") return [{ label: "traces of this consumer", href: `/traces?${new URLSearchParams({ service: t.name, destination: s.name, range })}` }];
  return [{ label: "the dead letters", href: `/dead-letters?${new URLSearchParams({ system: t.system ?? "", source: t.name, exact: "true" })}` }];
}
