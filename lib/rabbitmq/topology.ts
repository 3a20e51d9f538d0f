import { matchesAny } from "../patterns";
import { queueKey } from "./queue-key";

/**
 * Which queues are dead-letter queues, and for whom. A queue is one when a queue's dead-letter exchange (its
 * `x-dead-letter-exchange` argument, or the `dead-letter-exchange` key of its effective policy) routes to it, with
 * `x-dead-letter-routing-key` when set, through the exchange's bindings (exchange-to-exchange bindings followed), or
 * when its name matches a pattern. A source whose dead-letter exchange does not exist is flagged: RabbitMQ then drops
 * its dead letters silently.
 */
export interface TopologyQueue {
  vhost: string;
  name: string;
  arguments?: Record<string, unknown>;
  effectivePolicy?: Record<string, unknown> | null;
}
export interface TopologyExchange {
  vhost: string;
  name: string;
  type: string;
}
export interface TopologyBinding {
  vhost: string;
  source: string;
  destination: string;
  destinationType: "queue" | "exchange";
  routingKey: string;
}

export interface DeadLetterRoute {
  deadLetterExchange: string | null;
  deadLetterRoutingKey: string | null;
  /** the dead-letter exchange is configured but does not exist */
  dlxMissing: boolean;
  /** queues its dead letters land in */
  targets: string[];
}

export interface QueueDeadLetterInfo {
  route: DeadLetterRoute | null;
  isDeadLetterQueue: boolean;
  deadLetterSources: string[];
}

/** AMQP topic matching: `*` one word, `#` zero or more words. */
export function topicMatches(pattern: string, routingKey: string): boolean {
  const p = pattern.split(".");
  const k = routingKey.split(".");
  const match = (i: number, j: number): boolean => {
    if (i === p.length) return j === k.length;
    if (p[i] === "#") return match(i + 1, j) || (j < k.length && match(i, j + 1));
    if (j === k.length) return false;
    return (p[i] === "*" || p[i] === k[j]) && match(i + 1, j + 1);
  };
  return match(0, 0);
}

function routesTo(exchange: TopologyExchange | undefined, binding: TopologyBinding, routingKey: string | null): boolean {
  if (!exchange) return false;
  switch (exchange.type) {
    case "fanout":
    case "headers": // header matching depends on the message; count every binding
      return true;
    case "topic":
      return routingKey === null || topicMatches(binding.routingKey, routingKey);
    default: // direct and plugins' types behave like direct for routing keys
      return routingKey === null || binding.routingKey === routingKey;
  }
}

export function deadLetterTopology(
  queues: readonly TopologyQueue[],
  exchanges: readonly TopologyExchange[],
  bindings: readonly TopologyBinding[],
  namePatterns: readonly string[],
): Map<string, QueueDeadLetterInfo> {
  const exByKey = new Map(exchanges.map((e) => [queueKey(e.vhost, e.name), e]));
  const queueNames = new Set(queues.map((q) => queueKey(q.vhost, q.name)));
  const bySource = new Map<string, TopologyBinding[]>();
  for (const b of bindings) {
    const list = bySource.get(queueKey(b.vhost, b.source));
    if (list) list.push(b);
    else bySource.set(queueKey(b.vhost, b.source), [b]);
  }

  const route = (vhost: string, exchange: string, routingKey: string | null, depth = 0, seen = new Set<string>()): string[] => {
    if (exchange === "") return routingKey !== null && queueNames.has(queueKey(vhost, routingKey)) ? [routingKey] : [];
    const k = queueKey(vhost, exchange);
    if (depth > 5 || seen.has(k)) return [];
    seen.add(k);
    const out: string[] = [];
    for (const b of bySource.get(k) ?? []) {
      if (!routesTo(exByKey.get(k), b, routingKey)) continue;
      if (b.destinationType === "queue") out.push(b.destination);
      else out.push(...route(vhost, b.destination, routingKey, depth + 1, seen));
    }
    return out;
  };

  const result = new Map<string, QueueDeadLetterInfo>();
  const info = (vhost: string, name: string) => {
    const k = queueKey(vhost, name);
    let i = result.get(k);
    if (!i) result.set(k, (i = { route: null, isDeadLetterQueue: false, deadLetterSources: [] }));
    return i;
  };
  for (const q of queues) {
    const args = q.arguments ?? {};
    const pol = q.effectivePolicy ?? {};
    const dlxRaw = args["x-dead-letter-exchange"] ?? pol["dead-letter-exchange"];
    const rkRaw = args["x-dead-letter-routing-key"] ?? pol["dead-letter-routing-key"];
    const i = info(q.vhost, q.name);
    if (typeof dlxRaw === "string") {
      const rk = typeof rkRaw === "string" ? rkRaw : null;
      // without a dead-letter routing key the message keeps its own; through the default exchange that is the queue's name
      const missing = dlxRaw !== "" && !exByKey.has(queueKey(q.vhost, dlxRaw));
      const targets = missing ? [] : [...new Set(route(q.vhost, dlxRaw, rk ?? (dlxRaw === "" ? q.name : null)))].filter((t) => t !== q.name);
      i.route = { deadLetterExchange: dlxRaw, deadLetterRoutingKey: rk, dlxMissing: missing, targets };
      for (const t of targets) {
        const ti = info(q.vhost, t);
        ti.isDeadLetterQueue = true;
        if (!ti.deadLetterSources.includes(q.name)) ti.deadLetterSources.push(q.name);
      }
    }
    if (matchesAny(q.name, namePatterns)) i.isDeadLetterQueue = true;
  }
  for (const i of result.values()) i.deadLetterSources.sort();
  return result;
}

/**
 * The dead-letter exchanges the queues name (arguments or effective policy), apart from the default exchange, whose
 * routing needs no bindings: the only exchanges whose bindings `deadLetterTopology` follows first.
 */
export function deadLetterExchanges(queues: readonly TopologyQueue[]): { vhost: string; name: string }[] {
  const out = new Map<string, { vhost: string; name: string }>();
  for (const q of queues) {
    const dlx = q.arguments?.["x-dead-letter-exchange"] ?? q.effectivePolicy?.["dead-letter-exchange"];
    if (typeof dlx === "string" && dlx !== "") out.set(queueKey(q.vhost, dlx), { vhost: q.vhost, name: dlx });
  }
  return [...out.values()];
}

