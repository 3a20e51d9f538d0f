import { describe, expect, it } from "vitest";
import { buildWaterfall, formatDuration, spanLabel, timeAxis, waterfallExtentMs, type WaterfallSpan } from "./waterfall";

const T0 = 1_800_000_000_000n * 1_000_000n; // ns
const span = (p: Partial<WaterfallSpan> & { spanId: string; atMs: number }): WaterfallSpan => ({
  traceId: "t1",
  parentSpanId: null,
  service: "svc",
  name: p.spanId,
  kind: 1,
  durationMs: 10,
  statusCode: 0,
  attributes: {},
  links: [],
  ...p,
  startUnixNano: (T0 + BigInt(Math.round(p.atMs * 1e6))).toString(),
});

describe("spanLabel", () => {
  it("labels messaging and HTTP hops, current and deprecated attribute names", () => {
    expect(spanLabel(span({ spanId: "a", atMs: 0, kind: 4, attributes: { "messaging.system": "kafka", "messaging.destination.name": "orders" } }))).toBe("publish to orders");
    expect(spanLabel(span({ spanId: "b", atMs: 0, kind: 5, service: "inv", attributes: { "messaging.system": "kafka", "messaging.destination": "orders", "messaging.kafka.consumer.group": "inventory" } }))).toBe(
      "process from orders by inventory",
    );
    expect(spanLabel(span({ spanId: "c", atMs: 0, kind: 5, service: "payment", attributes: { "messaging.system": "rabbitmq", "messaging.destination.name": "payments" } }))).toBe("process from payments by payment");
    expect(spanLabel(span({ spanId: "d", atMs: 0, kind: 2, attributes: { "http.request.method": "POST", "http.route": "/orders" } }))).toBe("POST /orders");
    expect(spanLabel(span({ spanId: "e", atMs: 0, name: "compute" }))).toBe("compute");
  });
});

describe("buildWaterfall", () => {
  const mq = { "messaging.system": "kafka", "messaging.destination.name": "orders" };
  it("nests by parent, orders children by start, and shows the broker wait between producer and consumer", () => {
    const rows = buildWaterfall([
      span({ spanId: "consume", parentSpanId: "send", atMs: 30, kind: 5, attributes: mq }),
      span({ spanId: "root", atMs: 0, durationMs: 50 }),
      span({ spanId: "later", parentSpanId: "root", atMs: 20 }),
      span({ spanId: "send", parentSpanId: "root", atMs: 5, durationMs: 5, kind: 4, attributes: mq }),
    ]);
    expect(rows.map((r) => [r.span.spanId, r.depth])).toEqual([
      ["root", 0],
      ["send", 1],
      ["consume", 2],
      ["later", 1],
    ]);
    const consume = rows.find((r) => r.span.spanId === "consume")!;
    expect(consume.offsetMs).toBeCloseTo(30);
    expect(consume.brokerWait).toEqual({ fromMs: 10, durationMs: 20, destination: "orders" });
    expect(rows.find((r) => r.span.spanId === "send")!.brokerWait).toBeNull();
  });

  it("keeps a linked consumer trace apart unless stitching, then nests it under its producer", () => {
    const spans = [
      span({ spanId: "root", atMs: 0, durationMs: 20 }),
      span({ spanId: "send", parentSpanId: "root", atMs: 5, durationMs: 1, kind: 4, attributes: mq }),
      // consumed two hours later, in a trace of its own that links to the producer
      span({ traceId: "t2", spanId: "consume", atMs: 2 * 3600_000, durationMs: 250, kind: 5, attributes: mq, links: [{ traceId: "t1", spanId: "send" }] }),
      span({ traceId: "t2", spanId: "db", parentSpanId: "consume", atMs: 2 * 3600_000 + 10, durationMs: 5 }),
    ];
    const apart = buildWaterfall(spans);
    expect(apart.filter((r) => r.depth === 0).map((r) => r.span.spanId)).toEqual(["root", "consume"]);
    const stitched = buildWaterfall(spans, { stitch: true });
    expect(stitched.map((r) => [r.span.spanId, r.depth, r.via])).toEqual([
      ["root", 0, "root"],
      ["send", 1, "parent"],
      ["consume", 2, "link"],
      ["db", 3, "parent"],
    ]);
    const consume = stitched[2]!;
    expect(consume.brokerWait!.durationMs).toBeCloseTo(2 * 3600_000 - 6);
    expect(consume.span.durationMs).toBe(250); // its own duration is untouched by the wait
    expect(waterfallExtentMs(stitched)).toBeCloseTo(2 * 3600_000 + 250);
  });

  it("shows a span whose parent is missing as an orphan at the top, and survives link cycles", () => {
    const rows = buildWaterfall(
      [
        span({ spanId: "a", parentSpanId: "gone", atMs: 1 }),
        span({ traceId: "x", spanId: "p", atMs: 0, links: [{ traceId: "y", spanId: "q" }] }),
        span({ traceId: "y", spanId: "q", atMs: 2, links: [{ traceId: "x", spanId: "p" }] }),
      ],
      { stitch: true },
    );
    expect(rows.find((r) => r.span.spanId === "a")!.via).toBe("orphan");
    expect(rows).toHaveLength(3);
  });

  it("is empty for no spans", () => {
    expect(buildWaterfall([])).toEqual([]);
  });
});

describe("formatDuration", () => {
  it("reads well from microseconds to days", () => {
    expect(formatDuration(0.85)).toBe("850 µs");
    expect(formatDuration(12.34)).toBe("12.3 ms");
    expect(formatDuration(4200)).toBe("4.20 s");
    expect(formatDuration(185_000)).toBe("3 min 5 s");
    expect(formatDuration(2 * 3600_000 + 14 * 60_000)).toBe("2 h 14 min");
    expect(formatDuration(3 * 86_400_000)).toBe("3 d 0 h");
    expect(formatDuration(3_599_991)).toBe("1 h 0 min");
    expect(formatDuration(59_999.9)).toBe("1 min 0 s");
  });
});

describe("timeAxis", () => {
  const mq = { "messaging.system": "kafka", "messaging.destination.name": "orders" };
  it("is linear when nothing is idle for long", () => {
    const rows = buildWaterfall([span({ spanId: "a", atMs: 0, durationMs: 50 }), span({ spanId: "b", atMs: 40, durationMs: 60 })]);
    const axis = timeAxis(rows);
    expect(axis.breaks).toEqual([]);
    expect(axis.toPct(50)).toBeCloseTo(50);
  });

  it("cuts an hour in the broker down so producer and consumer both stay readable", () => {
    const rows = buildWaterfall(
      [
        span({ spanId: "root", atMs: 0, durationMs: 40 }),
        span({ spanId: "send", parentSpanId: "root", atMs: 5, durationMs: 4, kind: 4, attributes: mq }),
        span({ traceId: "t2", spanId: "consume", atMs: 3_600_000, durationMs: 250, kind: 5, attributes: mq, links: [{ traceId: "t1", spanId: "send" }] }),
      ],
      { stitch: true },
    );
    const axis = timeAxis(rows);
    expect(axis.breaks).toHaveLength(1);
    expect(axis.breaks[0]!.hiddenMs).toBeCloseTo(3_600_000 - 40);
    // 290 ms of activity share 96% of the width: the 40 ms root gets ~13%, the 250 ms consumer ~83%
    expect(axis.toPct(40) - axis.toPct(0)).toBeCloseTo((40 / 290) * 96, 1);
    expect(axis.toPct(3_600_000)).toBeCloseTo((40 / 290) * 96 + 4, 1);
    expect(axis.toPct(3_600_250)).toBeCloseTo(100, 5);
    // monotonic across the break
    expect(axis.toPct(1_800_000)).toBeGreaterThan(axis.toPct(40));
    expect(axis.toPct(1_800_000)).toBeLessThan(axis.toPct(3_600_000));
  });
});
