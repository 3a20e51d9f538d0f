import { addInto, bucketOf, emptyBuckets } from "./histogram";
import type { FlowEdgeKind, FlowNodeKind } from "./model";

/**
 * What the flow map learns from spans as they arrive (the OTLP receiver calls these; collectors/otlp/flows.ts writes
 * the result to per-minute rollups). Messaging edges come from one span each: a producer span is service → topic or
 * exchange, a consumer span is topic or queue → service (with its consumer group). A synchronous call needs two spans
 * from two services, which their exporters send separately and in any order: a server span's parent is the caller's
 * client span, matched here while both are recent (see FlowAggregator).
 */

/** The fields of a stored span (lib/otlp/span-record.ts SpanRecord) that the flow map reads. */
export interface ObservedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  service: string;
  name: string;
  kind: number;
  startTime: Date;
  durationMs: number;
  statusCode: number;
  attributes: Record<string, unknown>;
  messagingSystem: string | null;
  messagingDestination: string | null;
  messagingOperation: string | null;
  messagingConsumerGroup: string | null;
  /** RabbitMQ: the routing key a message was published with (the queue's name, on the default exchange) */
  rabbitmqRoutingKey?: string | null;
}

/** One edge in one minute: how often, how many erred, and the latency histogram (lib/flows/histogram.ts). */
export interface EdgeSample {
  /** the minute's start, ms since the epoch */
  minute: number;
  source: string;
  sourceKind: FlowNodeKind;
  target: string;
  targetKind: FlowNodeKind;
  edge: FlowEdgeKind;
  /** kafka, rabbitmq, … for a messaging edge; http or grpc for a call */
  system: string;
  /** the consumer group of a consume edge, else "" */
  group: string;
  /** the HTTP method (GET, POST…) or "grpc" of a call, else "" */
  method: string;
  count: number;
  errors: number;
  durationSumMs: number;
  maxMs: number;
  buckets: number[];
}

/** A client span, waiting for the server span it called (or for its time to run out). */
export interface ClientCall {
  traceId: string;
  spanId: string;
  service: string;
  method: string;
  system: string;
  /** whom it says it called (server.address, url.full's host), when the callee sends no spans of its own */
  peer: string | null;
  minute: number;
  durationMs: number;
  error: boolean;
}

/** A server span whose caller is another span (its parent), not yet matched to it. */
export interface ServerCall {
  traceId: string;
  parentSpanId: string;
  service: string;
  method: string;
  system: string;
  minute: number;
  durationMs: number;
  error: boolean;
}

export interface Observation {
  samples: EdgeSample[];
  clients: ClientCall[];
  servers: ServerCall[];
}

const SERVER = 2;
const CLIENT = 3;
const PRODUCER = 4;
const CONSUMER = 5;
/**
 * One span per message and hop: a producer's `create` span (current conventions add it beside `send`) and a
 * consumer's `receive` (a batch's fetch, beside each message's `process`) and `settle` (its ack) are not counted.
 */
const publishOps = new Set(["publish", "send"]);
const consumeOps = new Set(["process", "deliver"]);
const notCounted = new Set(["create", "receive", "settle"]);

const str = (v: unknown): string | null => (typeof v === "string" && v.length > 0 ? v : null);

/**
 * Names are keys of the rollups' primary key (a btree entry holds at most 2,704 bytes): a name longer than this many
 * UTF-16 units is cut (and marked with …), never inside a surrogate pair, so source, target and group of up to 4-byte
 * characters, method and system stay well under the limit together.
 */
export const MAX_NAME_CHARS = 120;
const MAX_WORD_CHARS = 32;
function cut(s: string, max: number): string {
  if (s.length <= max) return s;
  let end = max;
  const c = s.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end--; // a high surrogate whose pair would be cut off
  return `${s.slice(0, end)}…`;
}
const nameOf = (s: string) => cut(s, MAX_NAME_CHARS);
const wordOf = (s: string) => cut(s, MAX_WORD_CHARS);
const minuteOf = (d: Date) => Math.floor(d.getTime() / 60_000) * 60_000;

/** The HTTP method or RPC system of a call span, upper-cased; "" when it is neither. */
export function callMethod(a: Record<string, unknown>): { method: string; system: string } {
  const m = str(a["http.request.method"]) ?? str(a["http.method"]);
  if (m) return { method: wordOf(m.toUpperCase()), system: "http" };
  const rpc = str(a["rpc.system"]);
  if (rpc) return { method: wordOf(rpc.toLowerCase()), system: wordOf(rpc.toLowerCase()) };
  return { method: "", system: "" };
}

/** Whom a client span says it called: server.address (or the older peer attributes), else url.full's host. */
export function callPeer(a: Record<string, unknown>): string | null {
  const direct = str(a["server.address"]) ?? str(a["net.peer.name"]) ?? str(a["peer.service"]);
  if (direct) return nameOf(direct);
  const url = str(a["url.full"]) ?? str(a["http.url"]);
  if (!url) return null;
  try {
    return nameOf(new URL(url).hostname) || null;
  } catch {
    return null;
  }
}

/** The node a messaging span's destination is: a Kafka topic; for RabbitMQ the exchange published to or the queue read. */
function destinationKind(system: string, consuming: boolean): FlowNodeKind {
  if (system === "rabbitmq") return consuming ? "queue" : "exchange";
  return "topic";
}

const keyOf = (s: Omit<EdgeSample, "count" | "errors" | "durationSumMs" | "maxMs" | "buckets">) =>
  `${s.minute}\u0000${s.source}\u0000${s.sourceKind}\u0000${s.target}\u0000${s.targetKind}\u0000${s.edge}\u0000${s.system}\u0000${s.group}\u0000${s.method}`;

/** Edge samples summed by edge and minute. */
export class SampleSet {
  private readonly m = new Map<string, EdgeSample>();

  add(s: Omit<EdgeSample, "count" | "errors" | "durationSumMs" | "maxMs" | "buckets">, durationMs: number, error: boolean, count = 1): void {
    const k = keyOf(s);
    const have = this.m.get(k);
    if (have) {
      have.count += count;
      if (error) have.errors += count;
      have.durationSumMs += durationMs * count;
      if (durationMs > have.maxMs) have.maxMs = durationMs;
      have.buckets[bucketOf(durationMs)]! += count;
      return;
    }
    this.m.set(k, { ...s, count, errors: error ? count : 0, durationSumMs: durationMs * count, maxMs: durationMs, buckets: bucketsOf(durationMs, count) });
  }

  merge(s: EdgeSample): void {
    const k = keyOf(s);
    const have = this.m.get(k);
    if (!have) {
      this.m.set(k, { ...s, buckets: [...s.buckets] });
      return;
    }
    have.count += s.count;
    have.errors += s.errors;
    have.durationSumMs += s.durationSumMs;
    have.maxMs = Math.max(have.maxMs, s.maxMs);
    addInto(have.buckets, s.buckets);
  }

  get size(): number {
    return this.m.size;
  }

  /** The samples, and the set emptied. */
  take(): EdgeSample[] {
    const out = [...this.m.values()];
    this.m.clear();
    return out;
  }
}

function bucketsOf(ms: number, count: number): number[] {
  const b = emptyBuckets();
  b[bucketOf(ms)] = count;
  return b;
}

/**
 * An export's spans as flow observations: its messaging edges summed by minute, its client spans and its server
 * spans with a parent (matched to each other by FlowAggregator, within this export or across exports).
 */
export function observeSpans(spans: readonly ObservedSpan[]): Observation {
  const samples = new SampleSet();
  const clients: ClientCall[] = [];
  const servers: ServerCall[] = [];
  for (const s of spans) {
    const kind = s.kind;
    const op = s.messagingOperation === null ? "" : s.messagingOperation.toLowerCase();
    // RabbitMQ's default exchange ("", or amq.default) routes by queue name: such a publish goes to the queue itself
    const toDefault = s.messagingSystem === "rabbitmq" && (s.messagingDestination === "" || s.messagingDestination === "amq.default" || s.messagingDestination === null) && !!s.rabbitmqRoutingKey && kind === PRODUCER;
    const rawDest = toDefault ? s.rabbitmqRoutingKey! : s.messagingDestination;
    if (rawDest !== null && rawDest !== "" && !notCounted.has(op)) {
      const system = s.messagingSystem === null || s.messagingSystem === "" ? "messaging" : wordOf(s.messagingSystem);
      if (kind === PRODUCER || (kind !== CONSUMER && publishOps.has(op))) {
        samples.add({ minute: minuteOf(s.startTime), source: nameOf(s.service), sourceKind: "service", target: nameOf(rawDest), targetKind: toDefault ? "queue" : destinationKind(system, false), edge: "publish", system, group: "", method: "" }, s.durationMs, s.statusCode === 2);
        continue;
      }
      if (kind === CONSUMER || consumeOps.has(op)) {
        const group = s.messagingConsumerGroup === null ? "" : nameOf(s.messagingConsumerGroup);
        samples.add({ minute: minuteOf(s.startTime), source: nameOf(rawDest), sourceKind: destinationKind(system, true), target: nameOf(s.service), targetKind: "service", edge: "consume", system, group, method: "" }, s.durationMs, s.statusCode === 2);
        continue;
      }
    }
    if (kind === CLIENT) {
      const a = s.attributes;
      if (a["db.system"] !== undefined || a["db.system.name"] !== undefined) continue; // a database call: no service answers it
      const { method, system: callSystem } = callMethod(a);
      clients.push({ traceId: s.traceId, spanId: s.spanId, service: nameOf(s.service), method, system: callSystem || "http", peer: callPeer(a), minute: minuteOf(s.startTime), durationMs: s.durationMs, error: s.statusCode === 2 });
    } else if (kind === SERVER && s.parentSpanId) {
      const { method, system: callSystem } = callMethod(s.attributes);
      servers.push({ traceId: s.traceId, parentSpanId: s.parentSpanId, service: nameOf(s.service), method, system: callSystem || "http", minute: minuteOf(s.startTime), durationMs: s.durationMs, error: s.statusCode === 2 });
    }
  }
  return { samples: samples.take(), clients, servers };
}

export interface AggregatorOptions {
  /** how long a client span waits for its server span before it counts as a call to its peer (ms) */
  clientWaitMs: number;
  /** how long a server span waits for its caller's client span before its parent is looked up in Postgres (ms) */
  serverWaitMs: number;
  /** at most this many client and server spans wait at once; past it the oldest give up first */
  maxWaiting: number;
}

export const defaultAggregatorOptions: AggregatorOptions = { clientWaitMs: 30_000, serverWaitMs: 10_000, maxWaiting: 200_000 };

const callKey = (traceId: string, spanId: string) => `${traceId}:${spanId}`;

/**
 * Matches calls across exports and sums every edge sample until the next flush. Kept in memory (in the process that
 * receives spans): a crash loses what was not flushed, a few seconds of counts, never a stored span.
 */
export class FlowAggregator {
  private readonly samples = new SampleSet();
  private readonly clients = new Map<string, { c: ClientCall; at: number }>();
  private readonly servers = new Map<string, { s: ServerCall[]; at: number }>();
  private waiting = 0;
  private retry: ServerCall[] = [];
  constructor(private readonly opts: AggregatorOptions = defaultAggregatorOptions) {}

  add(o: Observation, now: number): void {
    for (const s of o.samples) this.samples.merge(s);
    for (const c of o.clients) {
      const k = callKey(c.traceId, c.spanId);
      const waiting = this.servers.get(k);
      if (waiting) {
        this.servers.delete(k);
        this.waiting -= waiting.s.length;
        for (const s of waiting.s) this.call(c, s);
        continue;
      }
      if (!this.clients.has(k)) this.waiting++;
      this.clients.set(k, { c, at: now });
    }
    for (const s of o.servers) {
      const k = callKey(s.traceId, s.parentSpanId);
      const client = this.clients.get(k);
      if (client) {
        this.clients.delete(k);
        this.waiting--;
        this.call(client.c, s);
        continue;
      }
      const w = this.servers.get(k);
      if (w) w.s.push(s);
      else this.servers.set(k, { s: [s], at: now });
      this.waiting++;
    }
    this.trim();
  }

  /** A client span and the server span it called: one call, timed and judged as the caller saw it. */
  private call(c: ClientCall, s: ServerCall): void {
    if (c.service === s.service) return; // a service calling itself: not an edge of the map
    this.samples.add(
      { minute: c.minute, source: c.service, sourceKind: "service", target: s.service, targetKind: "service", edge: "call", system: c.system || s.system, group: "", method: c.method || s.method, },
      c.durationMs,
      c.error || s.error,
    );
  }

  /** A server span whose caller was found some other way (its parent span, in Postgres). */
  callFrom(callerService: string, s: ServerCall): void {
    if (callerService === s.service) return;
    this.samples.add({ minute: s.minute, source: callerService, sourceKind: "service", target: s.service, targetKind: "service", edge: "call", system: s.system, group: "", method: s.method }, s.durationMs, s.error);
  }

  private trim(): void {
    while (this.waiting > this.opts.maxWaiting) {
      const oldestClient = this.clients.entries().next().value as [string, { c: ClientCall; at: number }] | undefined;
      const oldestServer = this.servers.entries().next().value as [string, { s: ServerCall[]; at: number }] | undefined;
      if (oldestClient && (!oldestServer || oldestClient[1].at <= oldestServer[1].at)) {
        this.clients.delete(oldestClient[0]);
        this.waiting--;
        this.peerCall(oldestClient[1].c);
      } else if (oldestServer) {
        this.servers.delete(oldestServer[0]);
        this.waiting -= oldestServer[1].s.length;
      } else break;
    }
  }

  /** A client span no server span answered: a call to the peer it names (an uninstrumented service), if it names one. */
  private peerCall(c: ClientCall): void {
    if (!c.peer || c.peer === c.service) return;
    this.samples.add({ minute: c.minute, source: c.service, sourceKind: "service", target: c.peer, targetKind: "service", edge: "call", system: c.system, group: "", method: c.method }, c.durationMs, c.error);
  }

  /**
   * What is due at `now`: the server spans that waited long enough for their client span (their caller is to be looked
   * up by the parent span id, then `callFrom`), and lookups given back by `retryLookups`; client spans that waited
   * their time count as calls to their peer. The samples stay until `takeSamples`.
   */
  expire(now: number): ServerCall[] {
    for (const [k, v] of this.clients) {
      if (now - v.at < this.opts.clientWaitMs) break; // in arrival order: the rest are younger
      this.clients.delete(k);
      this.waiting--;
      this.peerCall(v.c);
    }
    const lookups: ServerCall[] = this.retry;
    this.retry = [];
    for (const [k, v] of this.servers) {
      if (now - v.at < this.opts.serverWaitMs) break;
      this.servers.delete(k);
      this.waiting -= v.s.length;
      lookups.push(...v.s);
    }
    return lookups;
  }

  /** Lookups that could not be made (Postgres away): made again at the next `expire`, at most maxWaiting of them. */
  retryLookups(lookups: readonly ServerCall[]): void {
    this.retry = [...this.retry, ...lookups].slice(-this.opts.maxWaiting);
  }

  /** The edge samples summed so far, and the set emptied. */
  takeSamples(): EdgeSample[] {
    return this.samples.take();
  }

  /** `expire` then `takeSamples` (lookups left to the caller). */
  due(now: number): { samples: EdgeSample[]; lookups: ServerCall[] } {
    const lookups = this.expire(now);
    return { samples: this.takeSamples(), lookups };
  }

  /** Samples taken that could not be written: kept for the next flush. */
  putBack(samples: readonly EdgeSample[]): void {
    for (const s of samples) this.samples.merge(s);
  }

  get pending(): { samples: number; waiting: number } {
    return { samples: this.samples.size, waiting: this.waiting + this.retry.length };
  }
}
