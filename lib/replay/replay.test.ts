import { describe, expect, it } from "vitest";
import { replayTransition } from "../replay-states";
import { droppedBecause, replayCountOf, replayHeaders } from "./headers";
import { kafkaTopicOf, skipReasonOf } from "./plan";

describe("replay headers", () => {
  it("drops the broker's and the dead-lettering's headers and the old trace context, keeps the application's", () => {
    const h = {
      "x-death": [{ count: 1 }],
      "x-first-death-queue": "q",
      "x-delivery-count": 3,
      "kafka_dlt-exception-fqcn": "X",
      "__connect.errors.topic": "t",
      traceparent: "00-old-old-01",
      "x-switchyard-replay-id": "old",
      "x-switchyard-replay-count": "2",
      "order-id": "ord-1",
      "content-type": "application/json",
      "X-Death-Notes": "kept: the application's",
    };
    const out = replayHeaders(h, "r-9", "00-abc-def-01");
    expect(out).toEqual({
      "order-id": "ord-1",
      "content-type": "application/json",
      "X-Death-Notes": "kept: the application's",
      "x-switchyard-replay-id": "r-9",
      "x-switchyard-replay-count": "3",
      traceparent: "00-abc-def-01",
    });
    expect(droppedBecause("KAFKA_DLT-original-topic")).not.toBeNull();
    expect(droppedBecause("__proto__")).toBeNull();
  });
  it("reads a replay count that is missing or garbage as 0", () => {
    expect(replayCountOf({})).toBe(0);
    expect(replayCountOf({ "x-switchyard-replay-count": "x" })).toBe(0);
    expect(replayCountOf({ "X-Switchyard-Replay-Count": 4 })).toBe(4);
  });
});

describe("replay plan", () => {
  const base = { status: "new" as const, payloadTruncated: false, replayCount: 0, destination: "shop.orders", returned: false };
  const o = { force: false, maxAttempts: 3 };
  it("skips what must not be sent, and what force may send", () => {
    expect(skipReasonOf(base, o)).toBeNull();
    expect(skipReasonOf({ ...base, status: "discarded" }, { ...o, force: true })).toBe("discarded");
    expect(skipReasonOf({ ...base, status: "replaying" }, { ...o, force: true })).toBe("in_another_replay");
    expect(skipReasonOf({ ...base, payloadTruncated: true }, { ...o, force: true })).toBe("payload_truncated");
    expect(skipReasonOf({ ...base, destination: null }, o)).toBe("no_destination");
    // failed again and came back as a new dead letter: the copy is replayed, never both (force or not)
    expect(skipReasonOf({ ...base, status: "failed_again", returned: true }, { ...o, force: true })).toBe("came_back");
    expect(skipReasonOf({ ...base, status: "failed_again" }, o)).toBeNull();
    expect(skipReasonOf({ ...base, status: "replayed" }, o)).toBe("already_replayed");
    expect(skipReasonOf({ ...base, status: "replayed" }, { ...o, force: true })).toBeNull();
    expect(skipReasonOf({ ...base, replayCount: 3 }, o)).toBe("over_loop_limit");
    expect(skipReasonOf({ ...base, replayCount: 3 }, { ...o, force: true })).toBeNull();
  });
  it("reads a Kafka topic and partition from the recorded destination", () => {
    expect(kafkaTopicOf("shop.orders[2]@4669")).toEqual({ topic: "shop.orders", partition: 2 });
    expect(kafkaTopicOf("weird[topic]")).toEqual({ topic: "weird[topic]", partition: null });
    expect(kafkaTopicOf(null)).toBeNull();
  });
});

describe("replay transitions", () => {
  it("pauses a running replay, resumes a paused one, and refuses to resume a finished one", () => {
    expect(replayTransition("running", "pause")).toBe("paused");
    expect(replayTransition("paused", "resume")).toBe("running");
    expect(replayTransition("done", "resume")).toBeNull();
    expect(replayTransition("cancelled", "cancel")).toBeNull();
    expect(replayTransition("pending", "cancel")).toBe("cancelled");
  });
});
