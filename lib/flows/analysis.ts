import { quantileMs, bucketOf, emptyBuckets } from "./histogram";
import { callMethod } from "./observe";

/**
 * The synchronous-chain analysis of /analysis, pure over the call spans of a range (db/queries/analysis.ts reads them, bounded).
 *
 * Synchronous chains: in each trace, the calls (a client span and the server span it called, in another service)
 * that wait on one another: a server span's client spans, each answered by a server span that makes calls of its
 * own. The deepest path from an entry operation is its chain; its depth is the number of calls in it.
 * (Duplicate processing is counted in Postgres: db/queries/analysis.ts.)
 */

export interface CallSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  service: string;
  name: string;
  /** OTLP kind: 1 internal, 2 server, 3 client */
  kind: number;
  durationMs: number;
  statusCode: number;
  attributes: Record<string, unknown>;
}

export interface SyncChain {
  entryService: string;
  entryOperation: string;
  /** calls in the deepest chain seen */
  depth: number;
  /** the services along it, entry first */
  hops: { from: string; to: string; operation: string }[];
  /** traces this entry operation was seen in, and how many had a chain this deep */
  traces: number;
  /** latency of the chain's first call as its caller waited for it (what the whole chain adds), over the traces */
  serialLatencyP50Ms: number | null;
  serialLatencyP95Ms: number | null;
  /** the product of each hop's success rate over the range */
  availability: number;
  flagged: boolean;
  /** one trace that had the deepest chain */
  exampleTraceId: string;
}

interface Hop {
  client: CallSpan;
  server: CallSpan;
}

/** Chains per entry operation, deepest first; flagged when deeper than maxDepth. */
export function syncChains(spans: readonly CallSpan[], maxDepth: number): SyncChain[] {
  const byTrace = new Map<string, CallSpan[]>();
  for (const s of spans) {
    if (s.kind !== 1 && s.kind !== 2 && s.kind !== 3) continue; // internal spans too: a server's calls may sit under them
    const list = byTrace.get(s.traceId);
    if (list) list.push(s);
    else byTrace.set(s.traceId, [s]);
  }
  // each hop's outcome over the range: caller → callee
  const hopStats = new Map<string, { n: number; ok: number }>();
  const entries = new Map<string, { chain: Hop[]; traces: number; latencies: number[]; example: string; entry: CallSpan }>();
  for (const [traceId, list] of byTrace) {
    const byId = new Map(list.map((s) => [s.spanId, s]));
    const children = new Map<string, CallSpan[]>();
    for (const s of list) {
      if (!s.parentSpanId) continue;
      const c = children.get(s.parentSpanId);
      if (c) c.push(s);
      else children.set(s.parentSpanId, [s]);
    }
    /** The calls a server span makes: its client spans (at any depth of its own service), each with the server span answering it. */
    const callsOf = (server: CallSpan): Hop[] => {
      const out: Hop[] = [];
      const walk = (id: string, depth: number) => {
        if (depth > 50) return;
        for (const c of children.get(id) ?? []) {
          if (c.kind === 3 && c.service === server.service) {
            for (const answer of children.get(c.spanId) ?? []) if (answer.kind === 2 && answer.service !== server.service) out.push({ client: c, server: answer });
          } else if (c.service === server.service && c.kind !== 2) walk(c.spanId, depth + 1);
        }
      };
      walk(server.spanId, 0);
      return out;
    };
    for (const s of list) {
      if (s.kind !== 2) continue;
      for (const h of callsOf(s)) {
        const k = `${h.client.service}\u0000${h.server.service}`;
        const st = hopStats.get(k) ?? { n: 0, ok: 0 };
        st.n++;
        if (h.client.statusCode !== 2 && h.server.statusCode !== 2) st.ok++;
        hopStats.set(k, st);
      }
    }
    const memo = new Map<string, Hop[]>();
    // chains deeper than this are cut there (they are flagged long before; a hostile trace must not exhaust the stack)
    const maxChain = 64;
    const deepest = (server: CallSpan, seen: Set<string>, depth = 0): Hop[] => {
      const have = memo.get(server.spanId);
      if (have) return have;
      if (depth >= maxChain) return [];
      let best: Hop[] = [];
      for (const h of callsOf(server)) {
        if (seen.has(h.server.spanId)) continue;
        seen.add(h.server.spanId);
        const rest = [h, ...deepest(h.server, seen, depth + 1)];
        if (rest.length > best.length) best = rest;
      }
      memo.set(server.spanId, best);
      return best;
    };
    // entries: server spans whose parent is not a span of this trace that called them
    for (const s of list) {
      if (s.kind !== 2) continue;
      const parent = s.parentSpanId ? byId.get(s.parentSpanId) : undefined;
      if (parent && parent.kind === 3) continue; // called by another service in this trace: not an entry
      const chain = deepest(s, new Set([s.spanId]));
      const key = `${s.service}\u0000${s.name}`;
      const e = entries.get(key) ?? { chain: [], traces: 0, latencies: [], example: traceId, entry: s };
      e.traces++;
      if (chain.length > e.chain.length) {
        e.chain = chain;
        e.example = traceId;
      }
      if (chain.length) e.latencies.push(chain[0]!.client.durationMs);
      entries.set(key, e);
    }
  }
  const out: SyncChain[] = [];
  for (const e of entries.values()) {
    if (!e.chain.length) continue;
    const b = emptyBuckets();
    for (const ms of e.latencies) b[bucketOf(ms)]!++;
    const max = Math.max(...e.latencies);
    let availability = 1;
    for (const h of e.chain) {
      const st = hopStats.get(`${h.client.service}\u0000${h.server.service}`);
      if (st && st.n) availability *= st.ok / st.n;
    }
    out.push({
      entryService: e.entry.service,
      entryOperation: e.entry.name,
      depth: e.chain.length,
      hops: e.chain.map((h) => ({ from: h.client.service, to: h.server.service, operation: `${callMethod(h.server.attributes).method || callMethod(h.client.attributes).method} ${h.server.name}`.trim() })),
      traces: e.traces,
      serialLatencyP50Ms: quantileMs(b, 0.5, max),
      serialLatencyP95Ms: quantileMs(b, 0.95, max),
      availability,
      flagged: e.chain.length > maxDepth,
      exampleTraceId: e.example,
    });
  }
  return out.sort((a, b) => b.depth - a.depth || a.availability - b.availability || a.entryService.localeCompare(b.entryService));
}
