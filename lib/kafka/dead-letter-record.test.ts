import { describe, expect, it } from "vitest";
import { kafkaDeadLetterRow, kafkaDedupKey, kafkaPositionKey, unreadableKafkaDeadLetter } from "./dead-letter-record";

const record = {
  cluster: "local",
  topic: "orders.DLT",
  partition: 2,
  offset: "7",
  timestamp: "1700000000123",
  key: Buffer.from("ord-1"),
  value: Buffer.from('{"id":"ord-1"}'),
  headers: { "x-original-topic": Buffer.from("orders"), multi: [Buffer.from("a"), "b"] },
};

describe("Kafka dead letters' keys: the position, and the identity for a position another record holds", () => {
  it("is the same for the same record read again, and names where it is", () => {
    const copy = { ...record, key: Buffer.from("ord-1"), value: Buffer.from('{"id":"ord-1"}'), headers: { "x-original-topic": "orders", multi: ["a", Buffer.from("b")] } };
    expect(kafkaDedupKey(copy)).toBe(kafkaDedupKey(record));
    expect(kafkaDedupKey(record)).toMatch(/^orders\.DLT\/2\/7\/1700000000123\/[0-9a-f]{32}$/);
  });

  it("differs for another record at the same offset: a topic made again, a cluster set up afresh", () => {
    const key = kafkaDedupKey(record);
    expect(kafkaDedupKey({ ...record, timestamp: "1700000000124" })).not.toBe(key);
    expect(kafkaDedupKey({ ...record, value: Buffer.from('{"id":"ord-2"}') })).not.toBe(key);
    expect(kafkaDedupKey({ ...record, key: null })).not.toBe(key);
    expect(kafkaDedupKey({ ...record, headers: {} })).not.toBe(key);
    expect(kafkaDedupKey({ ...record, headers: { ...record.headers, "x-original-topic": Buffer.from("payments") } })).not.toBe(key);
  });

  it("does not confuse bytes moved between key and value, an empty key with none, a header's name with its value, or a repeated header with more headers", () => {
    const a = { ...record, key: Buffer.from("ab"), value: Buffer.from("c"), headers: {} };
    expect(kafkaDedupKey(a)).not.toBe(kafkaDedupKey({ ...a, key: Buffer.from("a"), value: Buffer.from("bc") }));
    expect(kafkaDedupKey({ ...a, key: Buffer.alloc(0) })).not.toBe(kafkaDedupKey({ ...a, key: null }));
    expect(kafkaDedupKey({ ...a, headers: { ab: "c" } })).not.toBe(kafkaDedupKey({ ...a, headers: { a: "bc" } }));
    expect(kafkaDedupKey({ ...a, headers: { a: [Buffer.from("x"), Buffer.from("y"), Buffer.from("z")] } })).not.toBe(kafkaDedupKey({ ...a, headers: { a: Buffer.from("x"), y: Buffer.from("z") } }));
    expect(kafkaDedupKey({ ...a, headers: { a: [Buffer.from("x")] } })).not.toBe(kafkaDedupKey({ ...a, headers: { a: Buffer.from("x") } }));
  });

  it("rows of both capture paths are stored under the record's position; the identity key takes NUL and invalid UTF-8", () => {
    const hostile = { ...record, key: Buffer.from([0xff, 0x00]), value: Buffer.from([0xc3, 0x28, 0x00]), headers: { "x-\u0000": Buffer.from([0xfe]), none: undefined } };
    expect(kafkaDeadLetterRow(hostile, 1024).dedupKey).toBe("orders.DLT/2/7");
    expect(unreadableKafkaDeadLetter(hostile, 1024, new Error("x")).dedupKey).toBe("orders.DLT/2/7");
    expect(kafkaPositionKey(hostile)).toBe("orders.DLT/2/7");
    expect(kafkaDedupKey(hostile)).toMatch(/^orders\.DLT\/2\/7\/1700000000123\/[0-9a-f]{32}$/);
    expect(kafkaDedupKey({ ...hostile, value: Buffer.from([0xc3, 0x28, 0x01]) })).not.toBe(kafkaDedupKey(hostile));
  });
});
