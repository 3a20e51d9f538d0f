/**
 * A trace as a waterfall: spans nested by parent, each placed on one time axis, messaging and HTTP hops labelled,
 * and the time a message waited in the broker (producer span end → consumer span start) as a segment of its own.
 * Linked traces can be stitched in: a consumer span whose producer is in another trace (a span link, the OpenTelemetry
 * messaging default) is nested under that producer. Pure: used by the trace page and unit-tested.
 */
import { firstAttribute, spanDestination } from "../otlp/destination";
import type { Span } from "./span";

export interface WaterfallRow {
  span: Span;
  depth: number;
  /** ms from the start of the whole waterfall */
  offsetMs: number;
  label: string;
  /** how this span hangs under its parent row */
  via: "root" | "parent" | "link" | "orphan";
  /** the message's wait in the broker, from the producer's end to this consumer's start (ms), when known */
  brokerWait: { fromMs: number; durationMs: number; destination: string | null } | null;
}

// moved to lib/otlp/destination.ts, where ingest stores it as the span's messaging destination
export { spanDestination };

const attr = firstAttribute;

/** A URL or HTTP target without its query string or fragment (which can carry tokens), or its path for a full URL. */
function pathOf(target: string): string {
  const bare = target.replace(/[?#].*$/s, "");
  const full = /^[a-z][a-z0-9+.-]*:\/\/[^/]*(\/.*)?$/is.exec(bare);
  return full ? full[1] || "/" : bare;
}

type Labelled = Pick<Span, "kind" | "name" | "service" | "attributes">;
type Timed = Pick<Span, "startUnixNano" | "durationMs">;

/** "publish to orders", "process from orders by inventory", "POST /orders", or the span's own name. */
export function spanLabel(s: Labelled): string {
  const system = attr(s, "messaging.system");
  const dest = spanDestination(s);
  if (system && dest) {
    if (s.kind === "PRODUCER") return `publish to ${dest}`;
    if (s.kind === "CONSUMER") {
      const group = attr(s, "messaging.consumer.group.name", "messaging.kafka.consumer.group", "messaging.kafka.consumer_group");
      return `process from ${dest} by ${group ?? s.service}`;
    }
  }
  const method = attr(s, "http.request.method", "http.method");
  if (method) {
    const route = attr(s, "http.route", "url.path", "http.target", "url.full", "http.url");
    return route ? `${method} ${pathOf(route)}` : `${method} ${s.name}`;
  }
  return s.name;
}

const startMs = (s: Timed) => Number(BigInt(s.startUnixNano) / 1000n) / 1000;

/**
 * When a message waited in the broker, from its producer span to its consumer span (ms since the epoch). Usually from
 * the producer's end. A publish on a RabbitMQ confirm channel (or a Kafka send awaiting acks) ends only when the broker
 * confirms, which can be after the consumer has started: then the message was in the broker from the producer's start.
 */
export function brokerWaitOf(producer: Timed, consumer: Timed): { fromMs: number; durationMs: number } | null {
  const consumedAt = startMs(consumer);
  const endedAt = startMs(producer) + producer.durationMs;
  const from = endedAt <= consumedAt ? endedAt : startMs(producer);
  const wait = consumedAt - from;
  return wait > 0 ? { fromMs: from, durationMs: wait } : null;
}

/**
 * Rows in display order (depth-first, children by start time). `stitch`: nest a span under the span it links to
 * when it has no parent in view, so linked traces read as one request.
 */
export function buildWaterfall(spans: readonly Span[], opts: { stitch?: boolean } = {}): WaterfallRow[] {
  if (spans.length === 0) return [];
  const key = (traceId: string, spanId: string) => `${traceId}:${spanId}`;
  const byKey = new Map(spans.map((s) => [key(s.traceId, s.spanId), s]));
  const t0 = Math.min(...spans.map(startMs));
  const children = new Map<string, { span: Span; via: WaterfallRow["via"] }[]>();
  const tops: { span: Span; via: WaterfallRow["via"] }[] = [];
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
  const byStart = (a: { span: Span }, b: { span: Span }) => startMs(a.span) - startMs(b.span);
  const rows: WaterfallRow[] = [];
  const seen = new Set<string>();
  const visit = (n: { span: Span; via: WaterfallRow["via"] }, depth: number, up: Span | null) => {
    const k = key(n.span.traceId, n.span.spanId);
    if (seen.has(k)) return; // a link cycle
    seen.add(k);
    const s = n.span;
    // a consumer hanging under a producer (or a producer's child): the gap is the time in the broker
    let brokerWait: WaterfallRow["brokerWait"] = null;
    if (s.kind === "CONSUMER" && up && up.kind === "PRODUCER") {
      const wait = brokerWaitOf(up, s);
      if (wait) brokerWait = { fromMs: wait.fromMs - t0, durationMs: wait.durationMs, destination: spanDestination(s) };
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
  /** the same stretches in ms from the waterfall's start */
  gaps: { fromMs: number; toMs: number }[];
  /** the waterfall's whole span of time (ms) */
  extentMs: number;
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
  if (extent <= 0) return { toPct: () => 0, breaks: [], gaps: [], extentMs: 0 };
  if (gaps.length === 0) return { toPct: (ms) => (ms / extent) * 100, breaks: [], gaps: [], extentMs: extent };
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
  return {
    toPct,
    breaks: gaps.map((g) => ({ atPct: toPct(g.from) + gapPct / 2, hiddenMs: g.to - g.from })),
    gaps: gaps.map((g) => ({ fromMs: g.from, toMs: g.to })),
    extentMs: extent,
  };
}

export interface RulerTick {
  /** ms from the waterfall's start */
  ms: number;
  /** horizontal position, 0–100 */
  pct: number;
  label: string;
}

// steps a person reads without arithmetic, in ms
const rulerSteps = [
  0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000,
  300_000, 600_000, 900_000, 1_800_000, 3_600_000, 7_200_000, 10_800_000, 21_600_000, 43_200_000, 86_400_000, 172_800_000, 604_800_000,
];
const rulerUnits: [number, string][] = [
  [86_400_000, "d"],
  [3_600_000, "h"],
  [60_000, "min"],
  [1000, "s"],
  [1, "ms"],
  [0.001, "µs"],
];

/** A tick's label in the largest unit the step is a whole number of: "0", "250 ms", "2 s", "15 min". */
function tickLabel(ms: number, step: number): string {
  if (ms === 0) return "0";
  const [unit, name] = rulerUnits.find(([u]) => Math.abs(step / u - Math.round(step / u)) < 1e-9 && step >= u) ?? [0.001, "µs"];
  return `${Math.round(ms / unit)} ${name}`;
}

/**
 * The ruler over a waterfall: tick marks at round steps of the time shown (about `targetTicks` of them), each
 * labelled with the time since the trace's start. After an idle stretch cut out of the axis the ticks restart at the
 * stretch's end, labelled with that time, then "+…" from it. Ticks closer than `minGapPct` to one already placed are
 * left out (a segment's start wins).
 */
export function timeRuler(axis: TimeAxis, opts: { targetTicks?: number; minGapPct?: number } = {}): RulerTick[] {
  const extent = axis.extentMs;
  if (!(extent > 0)) return [{ ms: 0, pct: 0, label: "0" }];
  const hidden = axis.gaps.reduce((a, g) => a + (g.toMs - g.fromMs), 0);
  const target = (extent - hidden) / (opts.targetTicks ?? 6);
  const step = rulerSteps.find((x) => x >= target) ?? rulerSteps[rulerSteps.length - 1]!;
  const minGap = opts.minGapPct ?? 7;
  const segments: { from: number; to: number }[] = [];
  let at = 0;
  for (const g of axis.gaps) {
    segments.push({ from: at, to: g.fromMs });
    at = g.toMs;
  }
  segments.push({ from: at, to: extent });
  const starts: RulerTick[] = [];
  const others: RulerTick[] = [];
  segments.forEach((seg, i) => {
    const base = i === 0 ? 0 : seg.from;
    if (i > 0) starts.push({ ms: seg.from, pct: axis.toPct(seg.from), label: formatDuration(seg.from) });
    else starts.push({ ms: 0, pct: 0, label: "0" });
    for (let k = 1; base + k * step <= seg.to + step * 1e-9; k++) {
      const ms = base + k * step;
      others.push({ ms, pct: axis.toPct(ms), label: i === 0 ? tickLabel(ms, step) : `+${tickLabel(k * step, step)}` });
    }
  });
  const kept = [...starts];
  for (const t of others) if (kept.every((k) => Math.abs(k.pct - t.pct) >= minGap)) kept.push(t);
  return kept.sort((a, b) => a.ms - b.ms);
}

/** The span row a key moves the selection to (rows in display order), or null for a key that does not move it. */
export function moveSelection(index: number, key: string, count: number): number | null {
  if (count === 0) return null;
  const at = index < 0 ? -1 : Math.min(index, count - 1);
  switch (key) {
    case "ArrowDown":
      return Math.min(count - 1, at + 1);
    case "ArrowUp":
      return at < 0 ? 0 : Math.max(0, at - 1);
    case "Home":
      return 0;
    case "End":
      return count - 1;
    case "PageDown":
      return Math.min(count - 1, Math.max(0, at) + 10);
    case "PageUp":
      return Math.max(0, at - 10);
    default:
      return null;
  }
}

/** Bounds of the waterfall's name column (px), and the width stored or dragged, clamped to them. */
export const nameColumn = { minPx: 160, maxPx: 900, defaultPx: 360 } as const;
export function clampNameColumn(value: unknown, viewportPx = Infinity): number {
  const n = typeof value === "number" ? value : typeof value === "string" && value.trim() !== "" ? Number(value) : NaN;
  if (!Number.isFinite(n)) return nameColumn.defaultPx;
  // leave the bars at least 40% of a narrow screen
  const max = Math.max(nameColumn.minPx, Math.min(nameColumn.maxPx, viewportPx * 0.6));
  return Math.round(Math.min(max, Math.max(nameColumn.minPx, n)));
}
