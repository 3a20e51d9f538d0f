import { create, toBinary } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { ExportTraceServiceRequestSchema, ExportTraceServiceResponseSchema } from "./gen/opentelemetry/proto/collector/trace/v1/trace_service_pb";
import { fromBinary } from "@bufbuild/protobuf";
import { decodeJsonRequest, decodeProtobufRequest, encodeResponse } from "./decode";
import { attributesToJs, flattenRequest } from "./spans";
import { KeyValueSchema } from "./gen/opentelemetry/proto/common/v1/common_pb";
import { opentelemetry } from "./pbjs/trace_service";
import { ValidationError } from "../errors";

const tid = "5b8efff798038103d269b633813fc60c";
const sid = "eee19b7ec3c1b174";
const parent = "eee19b7ec3c1b173";

const jsonBody = {
  resourceSpans: [
    {
      resource: { attributes: [{ key: "service.name", value: { stringValue: "inventory" } }] },
      scopeSpans: [
        {
          scope: { name: "kafkajs" },
          spans: [
            {
              traceId: tid,
              spanId: sid,
              parentSpanId: parent,
              name: "process shop.orders",
              kind: 5,
              startTimeUnixNano: "1700000000000000000",
              endTimeUnixNano: 1700000000250000000,
              attributes: [
                { key: "messaging.system", value: { stringValue: "kafka" } },
                { key: "messaging.destination", value: { stringValue: "shop.orders" } },
                { key: "messaging.kafka.consumer.group", value: { stringValue: "inventory" } },
                { key: "messaging.kafka.partition", value: { intValue: 2 } },
                { key: "messaging.kafka.offset", value: { intValue: "41" } },
                { key: "big", value: { intValue: "9223372036854775807" } },
                { key: "tags", value: { arrayValue: { values: [{ stringValue: "a" }, { boolValue: true }] } } },
              ],
              links: [{ traceId: "0af7651916cd43dd8448eb211c80319c", spanId: "b7ad6b7169203331" }],
              events: [{ name: "exception", timeUnixNano: "1700000000200000000", attributes: [{ key: "exception.type", value: { stringValue: "OutOfStock" } }] }],
              status: { code: 2, message: "out of stock" },
              someFutureField: { ignored: true },
            },
          ],
        },
      ],
    },
  ],
};

describe("OTLP/JSON decoding", () => {
  it("reads hex ids, int64 as string or number, integer enums, and ignores unknown fields", () => {
    const { spans, rejected } = flattenRequest(decodeJsonRequest(JSON.stringify(jsonBody)));
    expect(rejected).toBe(0);
    expect(spans).toHaveLength(1);
    const s = spans[0]!;
    expect(s).toMatchObject({ traceId: tid, spanId: sid, parentSpanId: parent, service: "inventory", kind: 5, statusCode: 2, statusMessage: "out of stock" });
    expect(s.durationMs).toBe(250);
    expect(s.startUnixNano).toBe(1700000000000000000n);
    expect(s.attributes.big).toBe("9223372036854775807");
    expect(s.attributes.tags).toEqual(["a", true]);
    expect(s.links).toEqual([{ traceId: "0af7651916cd43dd8448eb211c80319c", spanId: "b7ad6b7169203331", attributes: {} }]);
    expect(s.events[0]).toMatchObject({ name: "exception", attributes: { "exception.type": "OutOfStock" } });
  });

  it("lifts messaging fields under deprecated attribute names", () => {
    const s = flattenRequest(decodeJsonRequest(JSON.stringify(jsonBody))).spans[0]!;
    expect(s).toMatchObject({ messagingSystem: "kafka", messagingDestination: "shop.orders", messagingConsumerGroup: "inventory", kafkaPartition: 2, kafkaOffset: 41 });
  });

  it("rejects spans with invalid ids and keeps the valid ones", () => {
    const body = structuredClone(jsonBody) as typeof jsonBody;
    const spans = body.resourceSpans[0]!.scopeSpans[0]!.spans;
    spans.push({ ...spans[0]!, spanId: "00000000000000ff" }, { ...spans[0]!, traceId: "abcd" });
    const r = flattenRequest(decodeJsonRequest(JSON.stringify(body)));
    expect(r.spans.map((s) => s.spanId)).toEqual([sid, "00000000000000ff"]);
    expect(r.rejected).toBe(1);
    expect(r.errors[0]).toMatch(/16 bytes/);
  });

  it.each([
    ["truncated JSON", '{"resourceSpans": [ {'],
    ["an array", "[]"],
    ["a non-hex id", JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: "zz", spanId: sid }] }] }] })],
    ["a wrong type", JSON.stringify({ resourceSpans: "nope" })],
  ])("answers a ValidationError for %s", (_name, text) => {
    expect(() => decodeJsonRequest(text)).toThrow(ValidationError);
  });
});

describe("OTLP/protobuf decoding", () => {
  it("round-trips a request encoded by the generated code", () => {
    const req = create(ExportTraceServiceRequestSchema, {
      resourceSpans: [
        {
          resource: { attributes: [{ key: "service.name", value: { value: { case: "stringValue", value: "orders" } } }] },
          scopeSpans: [{ spans: [{ traceId: Buffer.from(tid, "hex"), spanId: Buffer.from(sid, "hex"), name: "POST /orders", kind: 2, startTimeUnixNano: 5n, endTimeUnixNano: 2_000_005n }] }],
        },
      ],
    });
    const s = flattenRequest(decodeProtobufRequest(toBinary(ExportTraceServiceRequestSchema, req))).spans[0]!;
    expect(s).toMatchObject({ traceId: tid, spanId: sid, parentSpanId: null, service: "orders", name: "POST /orders", durationMs: 2 });
  });

  it("keeps 64-bit values exact and every AnyValue kind as @bufbuild/protobuf encoded them", () => {
    const v = (x: Record<string, unknown>) => ({ value: x }) as never;
    const start = 1_763_900_000_123_456_789n; // beyond 2^53: a double would round it
    const req = create(ExportTraceServiceRequestSchema, {
      resourceSpans: [
        {
          resource: { attributes: [{ key: "service.name", value: v({ case: "stringValue", value: "orders" }) }] },
          scopeSpans: [
            {
              spans: [
                {
                  traceId: Buffer.from(tid, "hex"),
                  spanId: Buffer.from(sid, "hex"),
                  parentSpanId: Buffer.from(parent, "hex"),
                  name: "charge",
                  kind: 3,
                  startTimeUnixNano: start,
                  endTimeUnixNano: start + 1_500_001n,
                  status: { code: 2, message: "declined" },
                  attributes: [
                    { key: "neg", value: v({ case: "intValue", value: -42n }) },
                    { key: "min", value: v({ case: "intValue", value: -9223372036854775808n }) },
                    { key: "max", value: v({ case: "intValue", value: 9223372036854775807n }) },
                    { key: "high", value: v({ case: "intValue", value: 4294967296n * 3n + 7n }) },
                    { key: "empty", value: v({ case: "stringValue", value: "" }) },
                    { key: "no", value: v({ case: "boolValue", value: false }) },
                    { key: "zero", value: v({ case: "doubleValue", value: 0 }) },
                    { key: "pi", value: v({ case: "doubleValue", value: 3.25 }) },
                    { key: "raw", value: v({ case: "bytesValue", value: Buffer.from([0, 255, 7]) }) },
                    { key: "kv", value: v({ case: "kvlistValue", value: { values: [{ key: "a", value: v({ case: "arrayValue", value: { values: [v({ case: "intValue", value: 1n })] } }) }] } }) },
                    { key: "unset" },
                  ],
                  events: [{ name: "exception", timeUnixNano: start + 1n, attributes: [{ key: "exception.type", value: v({ case: "stringValue", value: "Declined" }) }] }],
                  links: [{ traceId: Buffer.from("0af7651916cd43dd8448eb211c80319c", "hex"), spanId: Buffer.from("b7ad6b7169203331", "hex"), attributes: [{ key: "why", value: v({ case: "stringValue", value: "batch" }) }] }],
                },
              ],
            },
          ],
        },
      ],
    });
    const s = flattenRequest(decodeProtobufRequest(toBinary(ExportTraceServiceRequestSchema, req))).spans[0]!;
    expect(s.startUnixNano).toBe(start);
    expect(s.startTime.getTime()).toBe(1_763_900_000_123);
    expect(s.durationMs).toBe(1.500001);
    expect(s).toMatchObject({ parentSpanId: parent, kind: 3, statusCode: 2, statusMessage: "declined" });
    expect(s.attributes).toEqual({
      neg: -42,
      min: "-9223372036854775808",
      max: "9223372036854775807",
      high: 4294967296 * 3 + 7,
      empty: "",
      no: false,
      zero: 0,
      pi: 3.25,
      raw: "AP8H",
      kv: { a: [1] },
      unset: null,
    });
    expect(s.events).toEqual([{ name: "exception", timeUnixNano: (start + 1n).toString(), attributes: { "exception.type": "Declined" } }]);
    expect(s.links).toEqual([{ traceId: "0af7651916cd43dd8448eb211c80319c", spanId: "b7ad6b7169203331", attributes: { why: "batch" } }]);
  });

  it("takes the last member of a oneof read twice, as protobuf merging says", () => {
    // two encodings of a KeyValue back to back decode as one, its AnyValue merged: the int read last replaces the string
    const first = toBinary(KeyValueSchema, create(KeyValueSchema, { key: "x", value: { value: { case: "stringValue", value: "a" } } }));
    const second = toBinary(KeyValueSchema, create(KeyValueSchema, { value: { value: { case: "intValue", value: 5n } } }));
    const kv = opentelemetry.proto.common.v1.KeyValue.decode(Buffer.concat([first, second]));
    expect(attributesToJs([kv])).toEqual({ x: 5 });
    const back = opentelemetry.proto.common.v1.KeyValue.decode(Buffer.concat([second, first]));
    expect(attributesToJs([back])).toEqual({ x: "a" });
  });

  it("answers a ValidationError for random bytes", () => {
    const junk = Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]);
    expect(() => decodeProtobufRequest(junk)).toThrow(ValidationError);
  });

  it("encodes partial success in the response", () => {
    const bin = encodeResponse("protobuf", 3, "bad ids") as Uint8Array;
    const msg = fromBinary(ExportTraceServiceResponseSchema, bin);
    expect(msg.partialSuccess?.rejectedSpans).toBe(3n);
    expect(JSON.parse(encodeResponse("json", 0, "") as string)).toEqual({});
  });
});
