import { describe, expect, it } from "vitest";
import { parseConfig } from "../config/env";

describe("OTLP_BODY_TIMEOUT_MS", () => {
  it("defaults to 10 s and takes milliseconds between 100 and 600,000", () => {
    expect(parseConfig({}).OTLP_BODY_TIMEOUT_MS).toBe(10_000);
    expect(parseConfig({ OTLP_BODY_TIMEOUT_MS: "2500" }).OTLP_BODY_TIMEOUT_MS).toBe(2500);
    for (const bad of ["abc", "0", "99", "600001", "1.5"]) expect(() => parseConfig({ OTLP_BODY_TIMEOUT_MS: bad }), bad).toThrow(/OTLP_BODY_TIMEOUT_MS/);
  });
});

describe("OTLP_BODY_MIN_RATE", () => {
  it("defaults to 16 KiB/s, takes 0 for none, and refuses what is not a whole number of bytes", () => {
    expect(parseConfig({}).OTLP_BODY_MIN_RATE).toBe(16 * 1024);
    expect(parseConfig({ OTLP_BODY_MIN_RATE: "0" }).OTLP_BODY_MIN_RATE).toBe(0);
    expect(parseConfig({ OTLP_BODY_MIN_RATE: "1024" }).OTLP_BODY_MIN_RATE).toBe(1024);
    for (const bad of ["abc", "-1", "1.5"]) expect(() => parseConfig({ OTLP_BODY_MIN_RATE: bad }), bad).toThrow(/OTLP_BODY_MIN_RATE/);
  });
});
