import { describe, expect, it } from "vitest";
import { summarizeHealth, type HealthReport } from "./health";
import { groupHealth } from "./health-view";

const now = new Date("2026-01-01T12:00:00Z");
const report = (system: string, name: string, healthy: boolean, ageMs = 1000, error: string | null = null): HealthReport => ({
  system, name, healthy, error, details: {}, checkedAt: new Date(now.getTime() - ageMs),
});
const expected = { kafka: ["prod", "staging"], rabbitmq: ["main"], otlp: ["http"] };

describe("summarizeHealth", () => {
  it("is ok when every configured source has a fresh healthy report", () => {
    const r = summarizeHealth({
      expected, now, staleAfterMs: 30_000, postgres: { healthy: true },
      reports: [report("kafka", "prod", true), report("kafka", "staging", true), report("rabbitmq", "main", true), report("otlp", "http", true)],
    });
    expect(r.status).toBe("ok");
    expect(r.sources.map((s) => `${s.system}/${s.name}`)).toEqual(["postgres/switchyard", "kafka/prod", "kafka/staging", "rabbitmq/main", "otlp/http"]);
  });

  it("passes on the collectors' error for an unhealthy source", () => {
    const r = summarizeHealth({
      expected, now, staleAfterMs: 30_000, postgres: { healthy: true },
      reports: [report("kafka", "prod", false, 1000, "connection refused"), report("kafka", "staging", true), report("rabbitmq", "main", true), report("otlp", "http", true)],
    });
    expect(r.status).toBe("degraded");
    expect(r.sources.find((s) => s.name === "prod")).toMatchObject({ healthy: false, error: "connection refused" });
  });

  it("does not trust a stale report or a missing one", () => {
    const r = summarizeHealth({
      expected, now, staleAfterMs: 30_000, postgres: { healthy: true },
      reports: [report("kafka", "prod", true, 45_000), report("rabbitmq", "main", true), report("otlp", "http", true)],
    });
    expect(r.sources.find((s) => s.name === "prod")).toMatchObject({ healthy: false, error: expect.stringMatching(/last reported 45 s ago/) });
    expect(r.sources.find((s) => s.name === "staging")).toMatchObject({ healthy: false, error: expect.stringMatching(/no report/) });
  });

  it("marks everything unknown when Postgres is down", () => {
    const r = summarizeHealth({ expected, now, staleAfterMs: 30_000, postgres: { healthy: false, error: "ECONNREFUSED" }, reports: null });
    expect(r.status).toBe("degraded");
    expect(r.sources.every((s) => !s.healthy)).toBe(true);
    expect(r.sources[0]).toMatchObject({ system: "postgres", error: "ECONNREFUSED" });
  });

  it("ignores reports for sources no longer configured", () => {
    const r = summarizeHealth({
      expected: { kafka: [], rabbitmq: [], otlp: [] }, now, staleAfterMs: 30_000, postgres: { healthy: true },
      reports: [report("kafka", "old", false)],
    });
    expect(r.sources).toHaveLength(1);
    expect(r.status).toBe("ok");
  });
});

describe("groupHealth", () => {
  it("orders systems and puts unhealthy sources first", () => {
    const g = groupHealth([
      { system: "otlp", name: "http", healthy: true },
      { system: "kafka", name: "a", healthy: true },
      { system: "kafka", name: "b", healthy: false },
    ]);
    expect(g.map((x) => x.system)).toEqual(["kafka", "otlp"]);
    expect(g[0]!.sources.map((s) => s.name)).toEqual(["b", "a"]);
  });
});
