import { create, toBinary } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { ExportTraceServiceRequestSchema } from "./gen/opentelemetry/proto/collector/trace/v1/trace_service_pb";
import { decodeProtobufRequest, INVALID_UTF8 } from "./decode";
import { flattenRequest, MAX_INDEXED_CHARS, type SpanRecord } from "./spans";
import { SANITIZED_ATTRIBUTE, sanitizeRecords, storableText } from "./sanitize";
import { noMessaging } from "../traces/span";

const record = (extra: Partial<SpanRecord> = {}): SpanRecord => ({
  traceId: "1".repeat(32),
  spanId: "2".repeat(16),
  parentSpanId: null,
  service: "svc",
  name: "op",
  kind: 1,
  startUnixNano: 1n,
  startTime: new Date(0),
  durationMs: 1,
  statusCode: 0,
  statusMessage: null,
  attributes: {},
  resourceAttributes: {},
  events: [],
  links: [],
  ...noMessaging,
  ...extra,
});

describe("sanitising text Postgres cannot store", () => {
  it("replaces NUL and lone surrogates with U+FFFD and keeps surrogate pairs", () => {
    expect(storableText("a\u0000b")).toBe("a\uFFFDb");
    expect(storableText("\uD800x\uDC00")).toBe("\uFFFDx\uFFFD");
    expect(storableText("\uDC00\uD800")).toBe("\uFFFD\uFFFD"); // reversed pair: two lone surrogates
    const pair = "🚀 ok";
    expect(storableText(pair)).toBe(pair);
  });

  it("marks only the spans it changed, its resource's text included, and leaves clean records as they were", () => {
    const resource = { "service.name": "s", host: "h\u0000" };
    const clean = record({ attributes: { a: ["b", { c: "d" }] } });
    const cleanAttributes = clean.attributes;
    const inName = record({ name: "n\u0000" });
    const deep = record({ attributes: { a: [1, { "k\u0000": ["x\uD800"] }] } });
    const inEvent = record({ events: [{ name: "e", timeUnixNano: "1", attributes: { v: "\u0000" } }] });
    const ofResource1 = record({ resourceAttributes: resource });
    const ofResource2 = record({ resourceAttributes: resource });
    expect(sanitizeRecords([clean, inName, deep, inEvent, ofResource1, ofResource2])).toBe(5);
    expect(clean.attributes).toBe(cleanAttributes);
    expect(clean.attributes[SANITIZED_ATTRIBUTE]).toBeUndefined();
    expect(inName).toMatchObject({ name: "n\uFFFD", attributes: { [SANITIZED_ATTRIBUTE]: true } });
    expect(deep.attributes).toEqual({ a: [1, { "k\uFFFD": ["x\uFFFD"] }], [SANITIZED_ATTRIBUTE]: true });
    expect(inEvent.events[0]!.attributes).toEqual({ v: "\uFFFD" });
    expect(ofResource1.resourceAttributes).toEqual({ "service.name": "s", host: "h\uFFFD" });
    // spans of one resource still share one object, so it is stored once
    expect(ofResource2.resourceAttributes).toBe(ofResource1.resourceAttributes);
    expect(ofResource2.attributes[SANITIZED_ATTRIBUTE]).toBe(true);
  });
});

describe("decoding and flattening what Postgres cannot store as sent", () => {
  const spanBase = { traceId: new Uint8Array(16).fill(1), spanId: new Uint8Array(8).fill(2), name: "~BAD~", startTimeUnixNano: 1_700_000_000_000_000_000n };
  const request = (span: object, service = "svc") =>
    create(ExportTraceServiceRequestSchema, {
      resourceSpans: [{ resource: { attributes: [{ key: "service.name", value: { value: { case: "stringValue", value: service } } }] }, scopeSpans: [{ spans: [{ ...spanBase, ...span }] }] }],
    });

  it("decodes strings that are not UTF-8 instead of refusing the export, each bad sequence a lone surrogate", () => {
    const bytes = Buffer.from(toBinary(ExportTraceServiceRequestSchema, request({})));
    const at = bytes.indexOf("~BAD~");
    Buffer.from([0x61, 0xff, 0x62, 0xc0, 0x63]).copy(bytes, at);
    const decoded = decodeProtobufRequest(new Uint8Array(bytes)); // a Uint8Array, as on the decode thread
    const name = decoded.resourceSpans![0]!.scopeSpans![0]!.spans![0]!.name!;
    expect(name).toBe(`a${INVALID_UTF8}b${INVALID_UTF8}c`);
    expect(storableText(name)).toBe("a\uFFFDb\uFFFDc");
  });

  it("rejects a span starting after 2^63-1 ns, makes out-of-range numbers and over-long indexed text fit, and marks the span", () => {
    const tooLate = flattenRequest(decodeProtobufRequest(toBinary(ExportTraceServiceRequestSchema, request({ startTimeUnixNano: 2n ** 63n }))));
    expect(tooLate).toMatchObject({ spans: [], rejected: 1, errors: [expect.stringMatching(/start time 9223372036854775808 ns is out of range/)] });
    const lastOk = flattenRequest(decodeProtobufRequest(toBinary(ExportTraceServiceRequestSchema, request({ startTimeUnixNano: 2n ** 63n - 1n }))));
    expect(lastOk.spans[0]!.startUnixNano).toBe(2n ** 63n - 1n);

    const long = "d".repeat(MAX_INDEXED_CHARS - 1) + "🚀🚀";
    const { spans } = flattenRequest(
      decodeProtobufRequest(
        toBinary(
          ExportTraceServiceRequestSchema,
          request(
            {
              kind: 40_000,
              status: { code: -40_000 },
              attributes: [
                { key: "messaging.destination.name", value: { value: { case: "stringValue", value: long } } },
                { key: "messaging.destination.partition.id", value: { value: { case: "stringValue", value: "3000000000" } } },
              ],
            },
            "s".repeat(MAX_INDEXED_CHARS + 1),
          ),
        ),
      ),
    );
    const s = spans[0]!;
    expect([s.kind, s.statusCode, s.kafkaPartition]).toEqual([0, 0, null]);
    expect(s.service).toBe("s".repeat(MAX_INDEXED_CHARS));
    expect(s.messagingDestination).toBe("d".repeat(MAX_INDEXED_CHARS - 1)); // not cut inside the surrogate pair
    expect(s.attributes["messaging.destination.name"]).toBe(long);
    expect(s.attributes[SANITIZED_ATTRIBUTE]).toBe(true);

    const fine = flattenRequest(decodeProtobufRequest(toBinary(ExportTraceServiceRequestSchema, request({ kind: 5 })))).spans[0]!;
    expect(fine.attributes).toEqual({});
  });
});
