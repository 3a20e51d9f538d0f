import { describe, expect, it } from "vitest";
import { springDltHeaders } from "../../demo/dlt";
import { headersToJson, numberHeader, parseDltHeaders } from "./dlt-headers";

const tp = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

describe("parseDltHeaders", () => {
  it("reads Spring's headers with binary numbers", () => {
    const h = springDltHeaders({
      topic: "orders",
      partition: 7,
      groupId: "inventory",
      error: Object.assign(new Error("boom"), { name: "com.acme.Boom" }),
      message: { offset: "123456789012", timestamp: "1700000000000", key: null, value: null, attributes: 0, headers: {} } as never,
    });
    const info = parseDltHeaders({ ...h, traceparent: tp });
    expect(info).toMatchObject({
      format: "spring",
      originalTopic: "orders",
      originalPartition: 7,
      originalOffset: 123456789012,
      consumerGroup: "inventory",
      errorType: "com.acme.Boom",
      errorMessage: "boom",
      traceId: "0af7651916cd43dd8448eb211c80319c",
    });
    expect(info.originalTimestamp?.toISOString()).toBe("2023-11-14T22:13:20.000Z");
  });

  it("reads Spring's headers written as text", () => {
    const info = parseDltHeaders({ "kafka_dlt-original-topic": "t", "kafka_dlt-original-partition": "3", "kafka_dlt-original-offset": "42" });
    expect(info).toMatchObject({ originalPartition: 3, originalOffset: 42 });
  });

  it("reads Kafka Connect's error headers", () => {
    const info = parseDltHeaders({
      "__connect.errors.topic": Buffer.from("pg.orders"),
      "__connect.errors.partition": Buffer.from("1"),
      "__connect.errors.offset": Buffer.from("99"),
      "__connect.errors.connector.name": Buffer.from("jdbc-sink"),
      "__connect.errors.exception.class.name": Buffer.from("org.apache.kafka.connect.errors.DataException"),
      "__connect.errors.exception.message": Buffer.from("Converting byte[] to Kafka Connect data failed"),
    });
    expect(info).toMatchObject({ format: "connect", originalTopic: "pg.orders", originalPartition: 1, originalOffset: 99, consumerGroup: "connect-jdbc-sink", errorType: "org.apache.kafka.connect.errors.DataException" });
  });

  it("reads a plain x-original-topic", () => {
    expect(parseDltHeaders({ "x-original-topic": "payments", "x-error": "nope" })).toMatchObject({ format: "plain", originalTopic: "payments", errorMessage: "nope" });
  });

  it("knows nothing of a record without such headers, but keeps its trace id", () => {
    expect(parseDltHeaders({ traceparent: Buffer.from(tp) })).toMatchObject({ format: "unknown", originalTopic: null, traceId: "0af7651916cd43dd8448eb211c80319c" });
  });
});

describe("numberHeader", () => {
  it("tells text from binary", () => {
    expect(numberHeader(Buffer.from("12"), 4)).toBe(12);
    expect(numberHeader(Buffer.from([0, 0, 0, 12]), 4)).toBe(12);
    expect(numberHeader(Buffer.from([0, 0, 12]), 4)).toBeNull();
    expect(numberHeader(Buffer.from([0xff, 0xff, 0xff, 0xff]), 4)).toBe(-1);
  });
});

describe("headersToJson", () => {
  it("keeps text as text and anything binary as base64", () => {
    expect(headersToJson({ a: "x", b: Buffer.from([0, 1, 2]), c: [Buffer.from("y"), undefined], d: Buffer.from([0xc3, 0x28]) })).toEqual({
      a: "x",
      b: { base64: "AAEC" },
      c: ["y", null],
      d: { base64: "wyg=" },
    });
  });
});
