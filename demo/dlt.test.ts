import { describe, expect, it } from "vitest";
import { springDltHeaders } from "./dlt";

describe("springDltHeaders", () => {
  it("encodes numbers the way Spring Kafka does: int32 and int64 big-endian", () => {
    const h = springDltHeaders({
      topic: "shop.orders",
      partition: 2,
      groupId: "inv",
      error: Object.assign(new Error("bad json"), { name: "com.example.Poison" }),
      message: { offset: "4294967301", timestamp: "1700000000123", key: null, value: null, attributes: 0, headers: {} } as never,
    });
    expect(h["kafka_dlt-original-partition"]!.readInt32BE()).toBe(2);
    expect(h["kafka_dlt-original-partition"]!.length).toBe(4);
    expect(h["kafka_dlt-original-offset"]!.readBigInt64BE()).toBe(4294967301n);
    expect(h["kafka_dlt-original-timestamp"]!.readBigInt64BE()).toBe(1700000000123n);
    expect(h["kafka_dlt-original-topic"]!.toString()).toBe("shop.orders");
    expect(h["kafka_dlt-exception-fqcn"]!.toString()).toBe("com.example.Poison");
    expect(h["kafka_dlt-exception-message"]!.toString()).toBe("bad json");
  });
});
