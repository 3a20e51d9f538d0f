import { describe, expect, it } from "vitest";
import { kafkaDeadLetterRow, kafkaDedupKey, unreadableKafkaDeadLetter } from "./dead-letter-record";

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

describe("kafkaDedupKey", () => {
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

  it("does not confuse bytes moved between key and value, an empty key with none, or a header's name with its value", () => {
    const a = { ...record, key: Buffer.from("ab"), value: Buffer.from("c"), headers: {} };
    expect(kafkaDedupKey(a)).not.toBe(kafkaDedupKey({ ...a, key: Buffer.from("a"), value: Buffer.from("bc") }));
    expect(kafkaDedupKey({ ...a, key: Buffer.alloc(0) })).not.toBe(kafkaDedupKey({ ...a, key: null }));
    expect(kafkaDedupKey({ ...a, headers: { ab: "c" } })).not.toBe(kafkaDedupKey({ ...a, headers: { a: "bc" } }));
  });

  it("keys the rows of both capture paths alike, NUL and invalid UTF-8 included", () => {
    const hostile = { ...record, key: Buffer.from([0xff, 0x00]), value: Buffer.from([0xc3, 0x28, 0x00]), headers: { "x-\u0000": Buffer.from([0xfe]), none: undefined } };
    expect(kafkaDeadLetterRow(hostile, 1024).dedupKey).toBe(kafkaDedupKey(hostile));
    expect(unreadableKafkaDeadLetter(hostile, 1024, new Error("x")).dedupKey).toBe(kafkaDedupKey(hostile));
  });
});
