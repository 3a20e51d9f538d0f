import { kafkaTopicOf } from "../dead-letter-links";
import { matchesAny } from "../patterns";
import { quantileMs } from "./histogram";
import { nodeId, worseOf, type FlowCoupling, type FlowEdgeKind, type FlowHealth, type FlowIntent, type FlowNodeKind } from "./model";

/**
 * The event-flow map as the API gives it, from the per-minute edge rollups of a range (summed per edge) and what the
 * broker collectors know now: each group's lag per topic, each queue's depth and dead-letter targets, the dead letters
 * captured in the range. Pure: db/queries/flows.ts reads, this decides coupling, intent and health.
 */

/** An edge's rollups over the range, summed. */
export interface EdgeTotal {
  source: string;
  sourceKind: FlowNodeKind;
  target: string;
  targetKind: FlowNodeKind;
  edge: FlowEdgeKind;
  system: string;
  group: string;
  method: string;
  count: number;
  errors: number;
  durationSumMs: number;
  maxMs: number;
  buckets: number[];
}

export interface GroupLag {
  cluster: string;
  group: string;
  topic: string;
  messages: number | null;
  seconds: number | null;
  /** Burrow-style status of the group (lib/kafka/status.ts): OK, WARN, STALL, STOP, ERR */
  status: string;
  /** the client ids of the group's members (kafkajs sets it to what the service names itself, as a rule) */
  clientIds?: string[];
}

export interface QueueInfo {
  broker: string;
  vhost: string;
  name: string;
  ready: number | null;
  unacked: number | null;
  consumers: number | null;
  isDeadLetterQueue: boolean;
  deadLetterTargets: string[];
  /** the exchanges that route to it (its bindings) */
  boundFrom: { exchange: string; routingKey: string }[];
}

/** Dead letters captured in the range, by where they were captured (a DLQ or DLT) and where they had been going. */
export interface DeadLetterCount {
  system: string;
  /** the Kafka cluster or RabbitMQ broker it was captured from */
  sourceName?: string;
  /** RabbitMQ: the vhost of its DLQ */
  vhost?: string | null;
  source: string;
  originalDestination: string | null;
  count: number;
}

/** A configured override: edges whose "source->target" names match the glob take this coupling or intent. */
export interface FlowOverride {
  match: string;
  coupling?: FlowCoupling;
  intent?: FlowIntent;
}

export interface FlowThresholds {
  /** error rate at or above which an edge is degraded, and failing */
  degradedErrorRate: number;
  failingErrorRate: number;
}

export const defaultThresholds: FlowThresholds = { degradedErrorRate: 0.01, failingErrorRate: 0.1 };

export interface FlowNode {
  id: string;
  kind: FlowNodeKind;
  name: string;
  system: string | null;
  health: FlowHealth;
  /** why it has that health, in words */
  healthReason: string | null;
  /** a topic's consumer groups: their lag on it now */
  lag?: { cluster: string; group: string; messages: number | null; seconds: number | null; status: string }[];
  /** a topic's cluster, when the collectors place it in one */
  cluster?: string;
  /** a queue's or an exchange's broker and vhost (for its page), when the collectors place it in one */
  broker?: string;
  vhost?: string;
  /**
   * A name the collectors know in several clusters, or brokers and vhosts, is a node in each (its id ends in
   * `@cluster` or `@broker/vhost`); spans name only the destination, so their traffic to such a name goes to a node
   * of its own, `unplaced`.
   */
  unplaced?: boolean;
  /** a queue's depth now */
  depth?: { ready: number | null; unacked: number | null; consumers: number | null };
  /** dead letters captured in the range: for a DLQ or DLT those it caught, for a topic or queue those it lost */
  deadLetters?: number;
}

export interface FlowEdge {
  id: string;
  source: string;
  target: string;
  kind: FlowEdgeKind;
  coupling: FlowCoupling;
  intent: FlowIntent;
  /** whether coupling or intent came from configuration (FLOW_OVERRIDES) rather than inference */
  overridden: boolean;
  system: string;
  group: string | null;
  method: string | null;
  count: number;
  errors: number;
  /** per second over the range */
  rate: number;
  errorRate: number;
  p50Ms: number | null;
  p95Ms: number | null;
  health: FlowHealth;
}

export interface FlowGraph {
  nodes: FlowNode[];
  edges: FlowEdge[];
}

export interface FlowInput {
  edges: EdgeTotal[];
  lag: GroupLag[];
  queues: QueueInfo[];
  deadLetters: DeadLetterCount[];
  rangeSeconds: number;
  overrides?: FlowOverride[];
  thresholds?: FlowThresholds;
  /** only what touches this service: its edges, and the other edges of the brokers it publishes to or consumes from */
  focus?: string | null;
}

const queryMethods = new Set(["GET", "HEAD", "OPTIONS", "grpc"]);

/** A call's intent: a read (GET, HEAD, OPTIONS; gRPC unary, which has no side effect unless configured) or a command. */
export function callIntent(method: string): FlowIntent {
  return queryMethods.has(method) ? "query" : "command";
}

/** A destination's intent: a fact fanned out when two or more consumer groups (or consuming services) read it, else a command. */
export function destinationIntent(consumers: number): FlowIntent {
  return consumers >= 2 ? "event" : "command";
}

function statusHealth(status: string): FlowHealth {
  if (status === "OK") return "healthy";
  if (status === "WARN") return "degraded";
  if (status === "STALL" || status === "STOP" || status === "ERR") return "failing";
  return "unknown";
}

export function errorHealth(count: number, errors: number, t: FlowThresholds): FlowHealth {
  if (count <= 0) return "unknown";
  const r = errors / count;
  if (r >= t.failingErrorRate) return "failing";
  if (r >= t.degradedErrorRate) return "degraded";
  return "healthy";
}

export function buildFlowGraph(input: FlowInput): FlowGraph {
  const t = input.thresholds ?? defaultThresholds;
  const seconds = Math.max(1, input.rangeSeconds);
  const dlts = new Set(input.deadLetters.filter((d) => d.system === "kafka").map((d) => d.source));
  const dlqs = new Set([...input.queues.filter((q) => q.isDeadLetterQueue).map((q) => q.name), ...input.deadLetters.filter((d) => d.system === "rabbitmq").map((d) => d.source)]);

  /** What a broker node is, from what the collectors know of it (a known queue, a DLQ, a DLT) over what spans said. */
  const kindOf = (kind: FlowNodeKind, name: string, system: string): FlowNodeKind => {
    if (kind === "service") return kind;
    if (system === "kafka" || kind === "topic") return dlts.has(name) ? "dlt" : "topic";
    if (system === "rabbitmq") return kind === "exchange" ? "exchange" : dlqs.has(name) ? "dlq" : "queue";
    return kind;
  };
  // where the collectors place each broker name: a Kafka cluster, or a RabbitMQ broker and vhost
  const rabbitScope = (broker: string, vhost: string | null | undefined) => `${broker}/${vhost ?? "/"}`;
  const classOf = (kind: FlowNodeKind, system: string | null) => (kind === "service" ? "service" : system === "kafka" || kind === "topic" || kind === "dlt" ? "kafka" : kind === "exchange" ? "exchange" : "queue");
  const places = new Map<string, Map<string, { cluster?: string; broker?: string; vhost?: string }>>();
  const place = (cls: string, name: string, scope: string, where: { cluster?: string; broker?: string; vhost?: string }) => {
    const k = `${cls}\u0000${name}`;
    let m = places.get(k);
    if (!m) places.set(k, (m = new Map()));
    m.set(scope, where);
  };
  for (const l of input.lag) place("kafka", l.topic, l.cluster, { cluster: l.cluster });
  for (const q of input.queues) {
    const where = { broker: q.broker, vhost: q.vhost };
    place("queue", q.name, rabbitScope(q.broker, q.vhost), where);
    for (const b of q.boundFrom) place("exchange", b.exchange, rabbitScope(q.broker, q.vhost), where);
    for (const t of q.deadLetterTargets) place("queue", t, rabbitScope(q.broker, q.vhost), where);
  }
  const dlScope = (d: DeadLetterCount) => (d.sourceName === undefined ? null : d.system === "kafka" ? d.sourceName : rabbitScope(d.sourceName, d.vhost));
  for (const d of input.deadLetters) {
    const scope = dlScope(d);
    if (scope === null) continue;
    const where = d.system === "kafka" ? { cluster: d.sourceName! } : { broker: d.sourceName!, vhost: d.vhost ?? "/" };
    place(d.system === "kafka" ? "kafka" : "queue", d.source, scope, where);
  }

  const nodes = new Map<string, FlowNode>();
  /** A node, in its cluster or broker and vhost when `scope` says and its name is known in more than one. */
  const node = (kind: FlowNodeKind, name: string, system: string | null, scope: string | null = null): FlowNode => {
    const k = kindOf(kind, name, system ?? "");
    const seen = k === "service" ? undefined : places.get(`${classOf(k, system)}\u0000${name}`);
    const several = (seen?.size ?? 0) > 1;
    const base = nodeId(k, name, k === "service" ? null : system);
    const id = several ? (scope !== null && seen!.has(scope) ? `${base}@${scope}` : base) : base;
    let n = nodes.get(id);
    if (!n) {
      n = { id, kind: k, name, system: k === "service" ? null : system, health: "unknown", healthReason: null };
      const where = several ? (scope !== null ? seen!.get(scope) : undefined) : seen?.values().next().value;
      if (where?.cluster !== undefined) n.cluster = where.cluster;
      if (where?.broker !== undefined) {
        n.broker = where.broker;
        n.vhost = where.vhost;
      }
      if (several && !where) {
        n.unplaced = true;
        n.healthReason = `seen in spans; the collectors know ${name} in ${[...seen!.keys()].join(", ")}, and spans do not say which`;
      }
      nodes.set(id, n);
    }
    return n;
  };

  // consumers per destination: distinct groups (Kafka) or consuming services (RabbitMQ), from traffic and lag alike
  const consumers = new Map<string, Set<string>>();
  const consumerOf = (id: string, who: string) => {
    let s = consumers.get(id);
    if (!s) consumers.set(id, (s = new Set()));
    s.add(who);
  };

  // a consumer span that names no group (the kafkajs instrumentation does not) gets the group of the topic whose
  // members' client id is the service's name, or the topic's only group
  const groupOf = (topic: string, service: string): string => {
    const groups = input.lag.filter((l) => l.topic === topic);
    const byClient = groups.filter((l) => (l.clientIds ?? []).some((c) => c === service || c.startsWith(`${service}-`)));
    if (byClient.length === 1) return byClient[0]!.group;
    return groups.length === 1 ? groups[0]!.group : "";
  };
  const raw: { e: EdgeTotal; source: FlowNode; target: FlowNode }[] = [];
  for (const given of input.edges) {
    const e = given.edge === "consume" && !given.group && given.system === "kafka" ? { ...given, group: groupOf(given.source, given.target) } : given;
    const source = node(e.sourceKind, e.source, e.sourceKind === "service" ? null : e.system);
    const target = node(e.targetKind, e.target, e.targetKind === "service" ? null : e.system);
    if (e.edge === "consume") consumerOf(source.id, e.group || e.target);
    raw.push({ e, source, target });
  }
  for (const l of input.lag) {
    const n = node("topic", l.topic, "kafka", l.cluster);
    consumerOf(n.id, l.group);
    (n.lag ??= []).push({ cluster: l.cluster, group: l.group, messages: l.messages, seconds: l.seconds, status: l.status });
    const h = statusHealth(l.status);
    if (worseOf(n.health, h) !== n.health) {
      n.health = h;
      n.healthReason = `consumer group ${l.group} is ${l.status}${l.seconds !== null ? `, ${Math.round(l.seconds)} s behind` : ""}`;
    }
  }

  // routing: an exchange to each queue bound to it, from the bindings (an edge before any traffic); an exchange's
  // consumers are its queues, so one bound to several queues fans a fact out
  const routes: { from: FlowNode; to: FlowNode; keys: string[] }[] = [];
  for (const q of input.queues) {
    const byExchange = new Map<string, string[]>();
    for (const b of q.boundFrom) byExchange.set(b.exchange, [...(byExchange.get(b.exchange) ?? []), b.routingKey]);
    for (const [exchange, keys] of byExchange) {
      const from = node("exchange", exchange, "rabbitmq", rabbitScope(q.broker, q.vhost));
      const to = node("queue", q.name, "rabbitmq", rabbitScope(q.broker, q.vhost));
      if (from.id === to.id) continue;
      consumerOf(from.id, to.id);
      routes.push({ from, to, keys });
    }
  }

  const edges = new Map<string, FlowEdge>();
  for (const { from, to, keys } of routes) {
    const id = `${from.id}->${to.id}:route`;
    if (!edges.has(id)) edges.set(id, { ...deadLetterEdge(id, from.id, to.id, "rabbitmq", 0), kind: "route", method: keys.filter(Boolean).join(", ") || null, intent: "command" });
  }
  for (const { e, source, target } of raw) {
    const id = `${source.id}->${target.id}:${e.edge}${e.group ? `:${e.group}` : ""}`;
    const have = edges.get(id);
    if (have) {
      // the same edge by two methods (GET and POST): one edge, a command if either is
      have.count += e.count;
      have.errors += e.errors;
      if (e.edge === "call" && callIntent(e.method) === "command") have.intent = "command";
      have.method = have.method === e.method ? have.method : [have.method, e.method].filter(Boolean).join(", ");
      continue;
    }
    const broker = e.edge === "publish" ? target : e.edge === "consume" ? source : null;
    const intent: FlowIntent = e.edge === "call" ? callIntent(e.method) : destinationIntent(broker ? (consumers.get(broker.id)?.size ?? 0) : 0);
    edges.set(id, {
      id,
      source: source.id,
      target: target.id,
      kind: e.edge,
      coupling: e.edge === "call" ? "sync" : "async",
      intent,
      overridden: false,
      system: e.system,
      group: e.group || null,
      method: e.method || null,
      count: e.count,
      errors: e.errors,
      rate: 0,
      errorRate: 0,
      p50Ms: null,
      p95Ms: null,
      health: "unknown",
    });
  }
  // latency of an edge seen by two methods: its histograms summed
  const histograms = new Map<string, { b: number[]; max: number }>();
  for (const { e, source, target } of raw) {
    const id = `${source.id}->${target.id}:${e.edge}${e.group ? `:${e.group}` : ""}`;
    const h = histograms.get(id);
    if (!h) histograms.set(id, { b: [...e.buckets], max: e.maxMs });
    else {
      e.buckets.forEach((v, i) => (h.b[i] = (h.b[i] ?? 0) + v));
      h.max = Math.max(h.max, e.maxMs);
    }
  }

  // dead-lettering: a queue to the DLQ its policy names; a topic to the DLT its dead letters were caught in
  const lost = new Map<string, number>();
  for (const d of input.deadLetters) {
    const catcher = node(d.system === "kafka" ? "dlt" : "dlq", d.source, d.system, dlScope(d));
    catcher.deadLetters = (catcher.deadLetters ?? 0) + d.count;
    const original = d.originalDestination && d.system === "kafka" ? kafkaTopicOf(d.originalDestination) : d.originalDestination;
    if (!original || original === d.source) continue;
    const from = node(d.system === "kafka" ? "topic" : "queue", original, d.system, dlScope(d));
    lost.set(from.id, (lost.get(from.id) ?? 0) + d.count);
    const id = `${from.id}->${catcher.id}:dead_letter`;
    const have = edges.get(id);
    if (have) have.count += d.count;
    else edges.set(id, deadLetterEdge(id, from.id, catcher.id, d.system, d.count));
  }
  for (const q of input.queues) {
    const scope = rabbitScope(q.broker, q.vhost);
    for (const target of q.deadLetterTargets) {
      const from = node("queue", q.name, "rabbitmq", scope);
      const to = node("dlq", target, "rabbitmq", scope);
      const id = `${from.id}->${to.id}:dead_letter`;
      if (!edges.has(id)) edges.set(id, deadLetterEdge(id, from.id, to.id, "rabbitmq", 0));
    }
    // a queue on the map (traffic, bindings, dead letters) shows its depth; one with none of those stays off it
    const before = nodes.size;
    const n = node("queue", q.name, "rabbitmq", scope);
    if (nodes.size > before) nodes.delete(n.id);
    else if (!n.depth && !n.unplaced) n.depth = { ready: q.ready, unacked: q.unacked, consumers: q.consumers };
  }
  for (const [id, count] of lost) {
    const n = nodes.get(id);
    if (n) n.deadLetters = (n.deadLetters ?? 0) + count;
  }

  for (const e of edges.values()) {
    e.rate = e.count / seconds;
    e.errorRate = e.count > 0 ? e.errors / e.count : 0;
    const h = histograms.get(e.id);
    if (h) {
      e.p50Ms = quantileMs(h.b, 0.5, h.max);
      e.p95Ms = quantileMs(h.b, 0.95, h.max);
    }
    e.health = e.kind === "dead_letter" ? (e.count > 0 ? "degraded" : "unknown") : e.kind === "route" ? "healthy" : errorHealth(e.count, e.errors, t);
    for (const o of input.overrides ?? []) {
      const a = nodes.get(e.source)?.name ?? e.source;
      const b = nodes.get(e.target)?.name ?? e.target;
      if (matchesAny(`${a}->${b}`, [o.match])) {
        if (o.coupling) e.coupling = o.coupling;
        if (o.intent) e.intent = o.intent;
        e.overridden = true;
      }
    }
  }
  // a consume edge's intent is its destination's, a route's its exchange's: the same word all along the flow
  for (const e of edges.values()) {
    if (e.overridden) continue;
    if (e.kind === "consume" || e.kind === "route") e.intent = destinationIntent(consumers.get(e.source)?.size ?? 0);
  }

  for (const n of nodes.values()) {
    if (n.kind === "service") {
      // a service is as healthy as what it answers: the calls into it and the messages it consumes
      for (const e of edges.values()) {
        if (e.target !== n.id || e.kind === "dead_letter" || e.kind === "route" || e.health === "unknown") continue;
        if (worseOf(n.health, e.health) !== n.health) {
          n.health = e.health;
          n.healthReason = e.health === "healthy" ? null : `${Math.round(e.errorRate * 1000) / 10}% of ${e.kind === "call" ? "calls into it" : "messages it consumed"} from ${nodes.get(e.source)?.name ?? e.source} erred`;
        }
        if (n.health === "unknown") n.health = "healthy";
      }
      if (n.health === "unknown" && [...edges.values()].some((e) => e.source === n.id || e.target === n.id)) n.health = "healthy";
    } else if (n.kind === "dlq" || n.kind === "dlt") {
      if ((n.deadLetters ?? 0) > 0) {
        n.health = worseOf(n.health, "degraded");
        n.healthReason ??= `${n.deadLetters} dead letters in the range`;
      } else if (n.health === "unknown") n.health = "healthy";
    } else {
      if (n.depth && (n.depth.ready ?? 0) > 0 && (n.depth.consumers ?? 0) === 0) {
        n.health = worseOf(n.health, "failing");
        n.healthReason = `${n.depth.ready} ready and no consumer`;
      }
      if ((n.deadLetters ?? 0) > 0 && worseOf(n.health, "degraded") !== n.health) {
        n.health = "degraded";
        n.healthReason = `${n.deadLetters} messages dead-lettered in the range`;
      }
      if (n.health === "unknown") n.health = "healthy";
    }
  }

  let outNodes = [...nodes.values()];
  let outEdges = [...edges.values()];
  if (input.focus) {
    const focusId = nodeId("service", input.focus);
    const near = new Set<string>([focusId]);
    for (const e of outEdges) {
      if (e.source === focusId) near.add(e.target);
      if (e.target === focusId) near.add(e.source);
    }
    // through a broker node the flow goes on: its other producers and consumers touch the service too, and an
    // exchange's queues (or a queue's exchanges) are the same hop
    const brokers = new Set([...near].filter((id) => nodes.get(id)?.kind !== "service"));
    for (let grew = true; grew; ) {
      grew = false;
      for (const e of outEdges) {
        if (e.kind !== "route") continue;
        for (const [a, b] of [[e.source, e.target], [e.target, e.source]] as const)
          if (brokers.has(a) && !brokers.has(b)) {
            brokers.add(b);
            grew = true;
          }
      }
    }
    outEdges = outEdges.filter((e) => e.source === focusId || e.target === focusId || brokers.has(e.source) || brokers.has(e.target));
    const keep = new Set(outEdges.flatMap((e) => [e.source, e.target]));
    keep.add(focusId);
    outNodes = outNodes.filter((n) => keep.has(n.id));
  }
  outNodes.sort((a, b) => a.id.localeCompare(b.id));
  outEdges.sort((a, b) => a.id.localeCompare(b.id));
  return { nodes: outNodes, edges: outEdges };
}

function deadLetterEdge(id: string, source: string, target: string, system: string, count: number): FlowEdge {
  return { id, source, target, kind: "dead_letter", coupling: "async", intent: "command", overridden: false, system, group: null, method: null, count, errors: 0, rate: 0, errorRate: 0, p50Ms: null, p95Ms: null, health: "unknown" };
}
