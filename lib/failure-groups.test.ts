import { describe, expect, it } from "vitest";
import { failureGroupId, failureSignature, normaliseErrorMessage, rootErrorType, trendOf } from "./failure-groups";

describe("normaliseErrorMessage", () => {
  it("makes messages that differ only in ids and numbers one", () => {
    const a = normaliseErrorMessage("order ord-1 is not valid JSON at position 55");
    expect(a).toBe("order <id> is not valid JSON at position <n>");
    expect(normaliseErrorMessage("order ord-2 is not valid JSON at position 58")).toBe(a);
    expect(normaliseErrorMessage("order ord-a029a89d-bef1 card declined")).toBe(normaliseErrorMessage("order ord-cfd6bec1-da50 card declined"));
  });
  it("masks UUIDs, quoted values, long hex runs, and collapses whitespace", () => {
    expect(normaliseErrorMessage("user 3f2b1c9e-1d2f-4a5b-9c8d-0123456789ab   not found")).toBe("user <uuid> not found");
    expect(normaliseErrorMessage(`Expected ',' or '}' after property value in JSON at position 59`)).toBe("Expected <str> or <str> after property value in JSON at position <n>");
    expect(normaliseErrorMessage('field "email" is invalid')).toBe("field <str> is invalid");
    expect(normaliseErrorMessage("trace deadbeefdeadbeefcafe failed")).toBe("trace <id> failed");
  });
  it("keeps words without digits, and is empty for no message", () => {
    expect(normaliseErrorMessage("card declined")).toBe("card declined");
    expect(normaliseErrorMessage(null)).toBe("");
  });
  it("bounds a huge message and survives hostile text", () => {
    const out = normaliseErrorMessage(`${"x".repeat(100_000)} \u0000 <script>alert(1)</script>`);
    expect(out.length).toBeLessThanOrEqual(500);
  });
});

describe("rootErrorType", () => {
  it("takes Spring Kafka's cause when the outer type only wraps it", () => {
    const headers = { "kafka_dlt-exception-cause-fqcn": "com.shop.InvalidOrderException" };
    expect(rootErrorType("org.springframework.kafka.listener.ListenerExecutionFailedException", headers)).toBe("com.shop.InvalidOrderException");
    expect(rootErrorType("com.shop.Other", headers)).toBe("com.shop.Other");
    expect(rootErrorType(null, { "kafka_dlt-exception-cause-fqcn": { base64: Buffer.from("a.B").toString("base64") } })).toBe("a.B");
    expect(rootErrorType(null, {})).toBeNull();
  });
});

describe("failure groups", () => {
  it("one id for the same failure, another for another destination or type", () => {
    const base = { system: "kafka", originalDestination: "shop.orders", source: "shop.orders.DLT", reason: "exception", errorType: "SyntaxError", errorMessage: "order ord-1 at position 55" };
    const id = failureGroupId(failureSignature(base));
    expect(id).toMatch(/^[0-9a-f]{16}$/);
    expect(failureGroupId(failureSignature({ ...base, errorMessage: "order ord-9 at position 3" }))).toBe(id);
    // Kafka's capture notes the record's partition and offset with the topic: a group is about the topic
    expect(failureGroupId(failureSignature({ ...base, originalDestination: "shop.orders[2]@4669" }))).toBe(id);
    expect(failureSignature({ ...base, originalDestination: "shop.orders[2]@4669" }).originalDestination).toBe("shop.orders");
    expect(failureGroupId(failureSignature({ ...base, originalDestination: "shop.payments" }))).not.toBe(id);
    expect(failureGroupId(failureSignature({ ...base, errorType: "TypeError" }))).not.toBe(id);
    expect(failureGroupId(failureSignature({ ...base, system: "rabbitmq" }))).not.toBe(id);
  });
});

describe("trendOf", () => {
  it("one number per bucket, zeros where nothing died, rows outside the window left out", () => {
    expect(trendOf([{ b: 0, n: 2 }, { b: 3, n: 5 }, { b: 3, n: 1 }, { b: 9, n: 7 }, { b: -1, n: 4 }], 4)).toEqual([2, 0, 0, 6]);
    expect(trendOf([], 3)).toEqual([0, 0, 0]);
  });
});
