import { describe, expect, it } from "vitest";
import { buildWaterfall, clampNameColumn, formatDuration, moveSelection, nameColumn, spanDestination, spanLabel, timeAxis, timeRuler, waterfallExtentMs } from "./waterfall";
import type { Span } from "./span";
import { noMessaging } from "./span";

const T0 = 1_800_000_000_000n * 1_000_000n; // ns
/** A span of the model, only what a test sets differing from a plain internal span; `atMs` after T0. */
const span = (p: Partial<Omit<Span, "links">> & { spanId: string; atMs: number; links?: { traceId: string; spanId: string }[] }): Span => {
  const { atMs, links = [], ...rest } = p;
  return {
    traceId: "t1",
    parentSpanId: null,
    service: "svc",
    name: p.spanId,
    kind: "INTERNAL",
    durationMs: 10,
    status: "UNSET",
    statusMessage: null,
    attributes: {},
    resourceAttributes: {},
    events: [],
    ...noMessaging,
    startTime: new Date(Number(T0 / 1_000_000n) + atMs).toISOString(),
    ...rest,
    links: links.map((l) => ({ ...l, attributes: {} })),
    startUnixNano: (T0 + BigInt(Math.round(atMs * 1e6))).toString(),
  };
};

describe("spanLabel", () => {
  it("labels messaging and HTTP hops, current and deprecated attribute names", () => {
    expect(spanLabel(span({ spanId: "a", atMs: 0, kind: "PRODUCER", attributes: { "messaging.system": "kafka", "messaging.destination.name": "orders" } }))).toBe("publish to orders");
    expect(spanLabel(span({ spanId: "b", atMs: 0, kind: "CONSUMER", service: "inv", attributes: { "messaging.system": "kafka", "messaging.destination": "orders", "messaging.kafka.consumer.group": "inventory" } }))).toBe(
      "process from orders by inventory",
    );
    expect(spanLabel(span({ spanId: "c", atMs: 0, kind: "CONSUMER", service: "payment", attributes: { "messaging.system": "rabbitmq", "messaging.destination.name": "payments" } }))).toBe("process from payments by payment");
    expect(spanLabel(span({ spanId: "d", atMs: 0, kind: "SERVER", attributes: { "http.request.method": "POST", "http.route": "/orders" } }))).toBe("POST /orders");
    expect(spanLabel(span({ spanId: "e", atMs: 0, name: "compute" }))).toBe("compute");
  });

  it("names an HTTP server span by its route or path, without query string or host", () => {
    const http = (attributes: Record<string, unknown>) => spanLabel(span({ spanId: "h", atMs: 0, kind: "SERVER", name: "POST", attributes }));
    expect(http({ "http.method": "POST", "http.target": "/orders?token=s3cret" })).toBe("POST /orders");
    expect(http({ "http.request.method": "GET", "url.path": "/orders/42" })).toBe("GET /orders/42");
    expect(http({ "http.method": "GET", "http.url": "http://user:pw@shop.local:4100/orders?x=1#f" })).toBe("GET /orders");
    expect(http({ "http.method": "GET", "http.url": "http://shop.local" })).toBe("GET /");
    expect(http({ "http.method": "GET", "http.route": "/orders/:id", "http.target": "/orders/42" })).toBe("GET /orders/:id");
    expect(http({ "http.method": "POST" })).toBe("POST POST");
  });

  it("names a RabbitMQ consumer by the queue it read, not the exchange", () => {
    const rabbit = (name: string, attributes: Record<string, unknown>) =>
      span({ spanId: "r", atMs: 0, kind: "CONSUMER", service: "payment-service", name, attributes: { "messaging.system": "rabbitmq", ...attributes } });
    // as @opentelemetry/instrumentation-amqplib writes it: the exchange in messaging.destination, the queue in the name
    const amqplib = rabbit("shop.payments.requests process", { "messaging.destination": "shop.payments", "messaging.rabbitmq.routing_key": "payment.requested" });
    expect(spanDestination(amqplib)).toBe("shop.payments.requests");
    expect(spanLabel(amqplib)).toBe("process from shop.payments.requests by payment-service");
    expect(spanDestination(rabbit("x", { "messaging.destination.name": "shop.payments:payment.requested:shop.payments.requests" }))).toBe("shop.payments.requests");
    expect(spanDestination(rabbit("x", { "messaging.destination.name": "q1", "messaging.destination": "ex" }))).toBe("q1");
    expect(spanDestination(rabbit("x", { "messaging.rabbitmq.queue": "q2", "messaging.destination": "ex" }))).toBe("q2");
    // a producer publishes to the exchange; a Kafka consumer reads the topic
    const publish = span({ spanId: "p", atMs: 0, kind: "PRODUCER", name: "publish shop.payments", attributes: { "messaging.system": "rabbitmq", "messaging.destination": "shop.payments" } });
    expect(spanLabel(publish)).toBe("publish to shop.payments");
    expect(spanDestination(span({ spanId: "k", atMs: 0, kind: "CONSUMER", name: "shop.orders process", attributes: { "messaging.system": "kafka", "messaging.destination": "shop.orders" } }))).toBe("shop.orders");
  });
});

describe("buildWaterfall", () => {
  const mq = { "messaging.system": "kafka", "messaging.destination.name": "orders" };
  it("nests by parent, orders children by start, and shows the broker wait between producer and consumer", () => {
    const rows = buildWaterfall([
      span({ spanId: "consume", parentSpanId: "send", atMs: 30, kind: "CONSUMER", attributes: mq }),
      span({ spanId: "root", atMs: 0, durationMs: 50 }),
      span({ spanId: "later", parentSpanId: "root", atMs: 20 }),
      span({ spanId: "send", parentSpanId: "root", atMs: 5, durationMs: 5, kind: "PRODUCER", attributes: mq }),
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

  it("shows the broker wait of a RabbitMQ hop whose publish ended on the broker's confirm, after its consumer started", () => {
    const rq = { "messaging.system": "rabbitmq", "messaging.destination": "shop.payments" };
    const rows = buildWaterfall([
      span({ spanId: "root", atMs: 0, durationMs: 50 }),
      // a confirm-channel publish: starts at 5, the confirm arrives at 12
      span({ spanId: "publish", parentSpanId: "root", atMs: 5, durationMs: 7, kind: "PRODUCER", attributes: rq }),
      span({ spanId: "consume", parentSpanId: "publish", atMs: 8, durationMs: 20, kind: "CONSUMER", name: "shop.payments.requests process", attributes: rq }),
    ]);
    const consume = rows.find((r) => r.span.spanId === "consume")!;
    expect(consume.brokerWait).toEqual({ fromMs: 5, durationMs: expect.closeTo(3, 6), destination: "shop.payments.requests" });
    expect(consume.label).toBe("process from shop.payments.requests by svc");
    // a consumer that starts at its producer's start has no wait to show
    const none = buildWaterfall([span({ spanId: "p", atMs: 0, durationMs: 5, kind: "PRODUCER", attributes: rq }), span({ spanId: "c", parentSpanId: "p", atMs: 0, kind: "CONSUMER", attributes: rq })]);
    expect(none[1]!.brokerWait).toBeNull();
  });

  it("keeps a linked consumer trace apart unless stitching, then nests it under its producer", () => {
    const spans = [
      span({ spanId: "root", atMs: 0, durationMs: 20 }),
      span({ spanId: "send", parentSpanId: "root", atMs: 5, durationMs: 1, kind: "PRODUCER", attributes: mq }),
      // consumed two hours later, in a trace of its own that links to the producer
      span({ traceId: "t2", spanId: "consume", atMs: 2 * 3600_000, durationMs: 250, kind: "CONSUMER", attributes: mq, links: [{ traceId: "t1", spanId: "send" }] }),
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
        span({ spanId: "send", parentSpanId: "root", atMs: 5, durationMs: 4, kind: "PRODUCER", attributes: mq }),
        span({ traceId: "t2", spanId: "consume", atMs: 3_600_000, durationMs: 250, kind: "CONSUMER", attributes: mq, links: [{ traceId: "t1", spanId: "send" }] }),
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

describe("timeRuler", () => {
  const mq = { "messaging.system": "kafka", "messaging.destination.name": "orders" };
  it("puts ticks at round steps over a linear axis, labelled from the start", () => {
    const rows = buildWaterfall([span({ spanId: "a", atMs: 0, durationMs: 1000 })]);
    const ticks = timeRuler(timeAxis(rows));
    expect(ticks.map((t) => t.label)).toEqual(["0", "200 ms", "400 ms", "600 ms", "800 ms", "1000 ms"]);
    expect(ticks.map((t) => t.pct)).toEqual([0, 20, 40, 60, 80, 100].map((x) => expect.closeTo(x, 6)));
  });

  it("chooses the unit from the step: µs, s, min", () => {
    const labels = (ms: number) => timeRuler(timeAxis(buildWaterfall([span({ spanId: "a", atMs: 0, durationMs: ms })]))).map((t) => t.label);
    expect(labels(0.3)).toEqual(["0", "50 µs", "100 µs", "150 µs", "200 µs", "250 µs", "300 µs"]);
    expect(labels(12_000)).toEqual(["0", "2 s", "4 s", "6 s", "8 s", "10 s", "12 s"]);
    expect(labels(30 * 60_000)).toEqual(["0", "5 min", "10 min", "15 min", "20 min", "25 min", "30 min"]);
    expect(labels(0)).toEqual(["0"]);
  });

  it("restarts after an idle stretch cut out of the axis, at the stretch's end", () => {
    const rows = buildWaterfall(
      [
        span({ spanId: "root", atMs: 0, durationMs: 40 }),
        span({ spanId: "send", parentSpanId: "root", atMs: 5, durationMs: 4, kind: "PRODUCER", attributes: mq }),
        span({ traceId: "t2", spanId: "consume", atMs: 3_600_000, durationMs: 250, kind: "CONSUMER", attributes: mq, links: [{ traceId: "t1", spanId: "send" }] }),
      ],
      { stitch: true },
    );
    const axis = timeAxis(rows);
    const ticks = timeRuler(axis);
    const restart = ticks.find((t) => t.ms === 3_600_000)!;
    expect(restart.label).toBe("1 h 0 min");
    expect(restart.pct).toBeCloseTo(axis.toPct(3_600_000));
    expect(ticks.filter((t) => t.ms > 3_600_000).every((t) => t.label.startsWith("+"))).toBe(true);
    expect(ticks.find((t) => t.ms === 3_600_000 + 50)?.label).toBe("+50 ms");
    // in order and never crowded
    for (let i = 1; i < ticks.length; i++) {
      expect(ticks[i]!.pct).toBeGreaterThan(ticks[i - 1]!.pct);
      expect(ticks[i]!.pct - ticks[i - 1]!.pct).toBeGreaterThanOrEqual(7 - 1e-9);
    }
  });
});

describe("moveSelection", () => {
  it("moves with arrows, Home, End and pages, staying inside the rows", () => {
    expect(moveSelection(-1, "ArrowDown", 5)).toBe(0);
    expect(moveSelection(-1, "ArrowUp", 5)).toBe(0);
    expect(moveSelection(2, "ArrowDown", 5)).toBe(3);
    expect(moveSelection(4, "ArrowDown", 5)).toBe(4);
    expect(moveSelection(0, "ArrowUp", 5)).toBe(0);
    expect(moveSelection(3, "Home", 5)).toBe(0);
    expect(moveSelection(1, "End", 5)).toBe(4);
    expect(moveSelection(1, "PageDown", 30)).toBe(11);
    expect(moveSelection(5, "PageUp", 30)).toBe(0);
    expect(moveSelection(9, "ArrowUp", 5)).toBe(3);
    expect(moveSelection(1, "x", 5)).toBeNull();
    expect(moveSelection(0, "ArrowDown", 0)).toBeNull();
  });
});

describe("clampNameColumn", () => {
  it("keeps a stored or dragged width within bounds, and leaves the bars room on a narrow screen", () => {
    expect(clampNameColumn("420")).toBe(420);
    expect(clampNameColumn(10)).toBe(nameColumn.minPx);
    expect(clampNameColumn(5000)).toBe(nameColumn.maxPx);
    expect(clampNameColumn("abc")).toBe(nameColumn.defaultPx);
    expect(clampNameColumn(null)).toBe(nameColumn.defaultPx);
    expect(clampNameColumn(600, 390)).toBe(234);
    expect(clampNameColumn(100, 200)).toBe(nameColumn.minPx);
  });
});
