import { describe, expect, it } from "vitest";
import { filterQueues, sortQueues, type QueueSummary } from "./view";

const q = (name: string, ready: number | null, extra: Partial<QueueSummary> = {}): QueueSummary => ({
  broker: "b", vhost: "/", name, ready, unacked: 0, consumers: 1, publishRate: null, deliverRate: null, isDeadLetterQueue: false, dlxMissing: false, drainEtaSeconds: null, growthRate: null, ...extra,
});

describe("queue list", () => {
  it("sorts deepest first by default and by name on request", () => {
    const qs = [q("a", 1), q("b", 50), q("c", null)];
    expect(sortQueues(qs).map((x) => x.name)).toEqual(["b", "a", "c"]);
    expect(sortQueues(qs, "name", "asc").map((x) => x.name)).toEqual(["a", "b", "c"]);
  });
  it("filters dead-letter queues and the ones needing attention", () => {
    const qs = [q("work", 0), q("work.dlq", 3, { isDeadLetterQueue: true }), q("orphan", 9, { consumers: 0 }), q("lost", 0, { dlxMissing: true })];
    expect(filterQueues(qs, { dlq: true }).map((x) => x.name)).toEqual(["work.dlq"]);
    expect(filterQueues(qs, { problems: true }).map((x) => x.name)).toEqual(["work.dlq", "orphan", "lost"]);
  });
});

describe("captureModeText", () => {
  it("says why a dead-letter queue is not captured, and names every mode", async () => {
    const { captureModes, captureModeText } = await import("./view");
    expect(captureModeText("not-captured", "cannot open vhost 'a': ACCESS_REFUSED")).toBe("not captured: cannot open vhost 'a': ACCESS_REFUSED");
    expect(captureModeText("not-captured", null)).toMatch(/^not captured/);
    for (const m of captureModes) expect(captureModeText(m, null)).toBeTruthy();
    expect(captureModeText(null, null)).toBeNull();
  });
});
