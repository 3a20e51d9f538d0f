/**
 * A trace as a waterfall: spans nested by parent, each placed on one time axis, messaging and HTTP hops labelled,
 * and the time a message waited in the broker (producer span end → consumer span start) as a segment of its own.
 * Linked traces can be stitched in: a consumer span whose producer is in another trace (a span link, the OpenTelemetry
 * messaging default) is nested under that producer. Pure: used by the trace page and unit-tested.
 */
export interface WaterfallSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  service: string;
  name: string;
  /** OTLP SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer */
  kind: number;
  /** nanoseconds since the epoch, as a decimal string (exact) */
  startUnixNano: string;
  durationMs: number;
  statusCode: number;
  attributes: Record<string, unknown>;
  links: { traceId: string; spanId: string }[];
}

export interface WaterfallRow {
  span: WaterfallSpan;
  depth: number;
  /** ms from the start of the whole waterfall */
  offsetMs: number;
  label: string;
  /** how this span hangs under its parent row */
  via: "root" | "parent" | "link" | "orphan";
  /** the message's wait in the broker, from the producer's end to this consumer's start (ms), when known */
  brokerWait: { fromMs: number; durationMs: number; destination: string | null } | null;
}

export const spanKinds = ["UNSPECIFIED", "INTERNAL", "SERVER", "CLIENT", "PRODUCER", "CONSUMER"] as const;

const attr = (s: WaterfallSpan, ...keys: string[]): string | null => {
  for (const k of keys) {
    const v = s.attributes[k];
    if (v !== undefined && v !== null && v !== "") return String(v);
  }
  return null;
};

/** "publish to orders", "process from orders by inventory", "POST /orders", or the span's own name. */
export function spanLabel(s: WaterfallSpan): string {
  const system = attr(s, "messaging.system");
  const dest = attr(s, "messaging.destination.name", "messaging.destination");
  if (system && dest) {
    if (s.kind === 4) return `publish to ${dest}`;
    if (s.kind === 5) {
      const group = attr(s, "messaging.consumer.group.name", "messaging.kafka.consumer.group", "messaging.kafka.consumer_group");
      return `process from ${dest} by ${group ?? s.service}`;
    }
  }
  const method = attr(s, "http.request.method", "http.method");
  if (method) {
    const route = attr(s, "http.route", "url.path", "http.target", "url.full", "http.url");
    return route ? `${method} ${route}` : `${method} ${s.name}`;
  }
  return s.name;
}

const startMs = (s: WaterfallSpan) => Number(BigInt(s.startUnixNano) / 1000n) / 1000;

/**
 * Rows in display order (depth-first, children by start time). `stitch`: nest a span under the span it links to
 * when it has no parent in view, so linked traces read as one request.
 */
export function buildWaterfall(spans: readonly WaterfallSpan[], opts: { stitch?: boolean } = {}): WaterfallRow[] {
  if (spans.length === 0) return [];
  const key = (traceId: string, spanId: string) => `${traceId}:${spanId}`;
  const byKey = new Map(spans.map((s) => [key(s.traceId, s.spanId), s]));
  const t0 = Math.min(...spans.map(startMs));
  const children = new Map<string, { span: WaterfallSpan; via: WaterfallRow["via"] }[]>();
  const tops: { span: WaterfallSpan; via: WaterfallRow["via"] }[] = [];
  for (const s of spans) {
    const parent = s.parentSpanId ? byKey.get(key(s.traceId, s.parentSpanId)) : undefined;
    const linked = opts.stitch && !parent ? s.links.map((l) => byKey.get(key(l.traceId, l.spanId))).find((x) => x !== undefined) : undefined;
    const up = parent ?? linked;
    if (up) {
      const k = key(up.traceId, up.spanId);
      const list = children.get(k) ?? [];
      list.push({ span: s, via: parent ? "parent" : "link" });
      children.set(k, list);
    } else tops.push({ span: s, via: s.parentSpanId ? "orphan" : "root" });
  }
  const byStart = (a: { span: WaterfallSpan }, b: { span: WaterfallSpan }) => startMs(a.span) - startMs(b.span);
  const rows: WaterfallRow[] = [];
  const seen = new Set<string>();
  const visit = (n: { span: WaterfallSpan; via: WaterfallRow["via"] }, depth: number, up: WaterfallSpan | null) => {
    const k = key(n.span.traceId, n.span.spanId);
    if (seen.has(k)) return; // a link cycle
    seen.add(k);
    const s = n.span;
    // a consumer hanging under a producer (or a producer's child): the gap is the time in the broker
    let brokerWait: WaterfallRow["brokerWait"] = null;
    if (s.kind === 5 && up && up.kind === 4) {
      const producedAt = startMs(up) + up.durationMs;
      const wait = startMs(s) - producedAt;
      if (wait > 0) brokerWait = { fromMs: producedAt - t0, durationMs: wait, destination: attr(s, "messaging.destination.name", "messaging.destination") };
    }
    rows.push({ span: s, depth, offsetMs: startMs(s) - t0, label: spanLabel(s), via: n.via, brokerWait });
    for (const c of (children.get(k) ?? []).sort(byStart)) visit(c, depth + 1, s);
  };
  for (const t of tops.sort(byStart)) visit(t, 0, null);
  // spans that only link to one another (a cycle) have no top: show them from the earliest
  for (const s of [...spans].sort((a, b) => startMs(a) - startMs(b))) {
    if (!seen.has(key(s.traceId, s.spanId))) visit({ span: s, via: s.parentSpanId ? "orphan" : "root" }, 0, null);
  }
  return rows;
}

/** The waterfall's total span of time (ms), for scaling bars. */
export function waterfallExtentMs(rows: readonly WaterfallRow[]): number {
  return Math.max(0, ...rows.map((r) => r.offsetMs + r.span.durationMs));
}

/** A duration for people: 850 µs, 12.3 ms, 4.20 s, 3 min 5 s, 2 h 14 min. */
export function formatDuration(ms: number): string {
  if (ms < 1) return `${Math.round(ms * 1000)} µs`;
  if (ms < 1000) return `${ms < 10 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 59.995) return `${s.toFixed(2)} s`;
  // round at the unit shown, then split, so 59.991 min reads "1 h 0 min", never "59 min 60 s"
  const secs = Math.round(s);
  if (secs < 3600) return `${Math.floor(secs / 60)} min ${secs % 60} s`;
  const mins = Math.round(s / 60);
  if (mins < 48 * 60) return `${Math.floor(mins / 60)} h ${mins % 60} min`;
  const hours = Math.round(s / 3600);
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

export interface TimeAxis {
  /** horizontal position (0–100) of a time in ms from the waterfall's start */
  toPct(ms: number): number;
  /** idle stretches cut out of the axis: where (0–100) and how long they were */
  breaks: { atPct: number; hiddenMs: number }[];
}

/**
 * The time axis of a waterfall. Idle stretches (no span running) longer than `minGapShare` of the whole are cut down
 * to `gapPct` of the width each, so a consumer that runs hours after its producer leaves both readable; durations
 * shown are always the real ones. Without such stretches the axis is linear.
 */
export function timeAxis(rows: readonly WaterfallRow[], opts: { minGapShare?: number; gapPct?: number } = {}): TimeAxis {
  const extent = waterfallExtentMs(rows);
  const minGap = extent * (opts.minGapShare ?? 0.2);
  const gapPct = opts.gapPct ?? 4;
  const intervals = rows.map((r) => [r.offsetMs, r.offsetMs + r.span.durationMs] as const).sort((a, b) => a[0] - b[0]);
  const gaps: { from: number; to: number }[] = [];
  let end = intervals[0]?.[1] ?? 0;
  for (const [s, e] of intervals) {
    if (s - end > minGap && s - end > 0) gaps.push({ from: end, to: s });
    end = Math.max(end, e);
  }
  if (extent <= 0) return { toPct: () => 0, breaks: [] };
  if (gaps.length === 0) return { toPct: (ms) => (ms / extent) * 100, breaks: [] };
  const hidden = gaps.reduce((a, g) => a + (g.to - g.from), 0);
  const scale = (100 - gaps.length * gapPct) / (extent - hidden); // % per ms of kept time
  const toPct = (ms: number) => {
    let pct = 0;
    let at = 0;
    for (const g of gaps) {
      if (ms <= g.from) return pct + (ms - at) * scale;
      pct += (g.from - at) * scale;
      if (ms < g.to) return pct + ((ms - g.from) / (g.to - g.from)) * gapPct;
      pct += gapPct;
      at = g.to;
    }
    return Math.min(100, pct + (ms - at) * scale);
  };
  return { toPct, breaks: gaps.map((g) => ({ atPct: toPct(g.from) + gapPct / 2, hiddenMs: g.to - g.from })) };
}
