import { describe, expect, it } from "vitest";
import { brokerQueueKey, queueKey, queueKeyPrefix } from "./queue-key";

describe("queueKey", () => {
  it("keeps apart queues whose names would run together with a slash", () => {
    expect(queueKey("a/b", "c")).not.toBe(queueKey("a", "b/c"));
    expect(brokerQueueKey("x", "a/b", "c")).not.toBe(brokerQueueKey("x/a", "b", "c"));
    expect(brokerQueueKey("x", "/", "q")).not.toBe(brokerQueueKey("x", "/", "q2"));
    expect(queueKey("/", "orders")).toBe(queueKey("/", "orders"));
  });

  it("finds a vhost's keys by prefix, and no other vhost's", () => {
    const keys = [queueKey("/", "a"), queueKey("/", "b"), queueKey("/x", "a"), queueKey("", "/a")];
    expect(keys.filter((k) => k.startsWith(queueKeyPrefix("/")))).toEqual([queueKey("/", "a"), queueKey("/", "b")]);
    expect(keys.filter((k) => k.startsWith(queueKeyPrefix("")))).toEqual([queueKey("", "/a")]);
  });
});
