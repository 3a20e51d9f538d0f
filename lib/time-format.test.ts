import { describe, expect, it } from "vitest";
import { formatAxisTick, formatRelative, formatTime, offsetMinutes, parseTimeZoneMode, relativeRefreshMs, toEpochMs, withTimeZone } from "./time-format";

const t = Date.UTC(2026, 11, 1, 8, 5, 3, 42); // 2026-12-01 08:05:03.042 UTC

describe("formatTime", () => {
  it("writes UTC to the second, sortable, marked UTC", () => {
    expect(formatTime(t, "utc")).toBe("2026-12-01 08:05:03 UTC");
    expect(formatTime(new Date(t).toISOString(), "utc")).toBe("2026-12-01 08:05:03 UTC");
    expect(formatTime(new Date(t), "utc", { millis: true })).toBe("2026-12-01 08:05:03.042 UTC");
    expect(formatTime(Date.UTC(2026, 0, 1, 0, 0, 0), "utc")).toBe("2026-01-01 00:00:00 UTC");
  });
  it("writes local time with the zone's offset at that instant", () => {
    expect(formatTime(t, "local", { timeZone: "Europe/Berlin" })).toBe("2026-12-01 09:05:03 +01:00");
    expect(formatTime(Date.UTC(2026, 6, 1, 8, 5, 3), "local", { timeZone: "Europe/Berlin" })).toBe("2026-07-01 10:05:03 +02:00");
    expect(formatTime(t, "local", { timeZone: "America/New_York" })).toBe("2026-12-01 03:05:03 -05:00");
    expect(formatTime(t, "local", { timeZone: "Asia/Kolkata" })).toBe("2026-12-01 13:35:03 +05:30");
    // across midnight the date changes too
    expect(formatTime(Date.UTC(2026, 11, 31, 23, 30, 0), "local", { timeZone: "Asia/Tokyo" })).toBe("2027-01-01 08:30:00 +09:00");
    expect(formatTime(t, "local", { timeZone: "UTC" })).toBe("2026-12-01 08:05:03 +00:00");
  });
  it("shows a dash for what is not a time", () => {
    for (const v of [null, undefined, "", "yesterday", Number.NaN]) expect(formatTime(v, "utc")).toBe("—");
    expect(toEpochMs("2026-12-01T08:05:03.042Z")).toBe(t);
  });
  it("computes zone offsets", () => {
    expect(offsetMinutes(t, "UTC")).toBe(0);
    expect(offsetMinutes(t, "Asia/Kolkata")).toBe(330);
    expect(offsetMinutes(t, "America/St_Johns")).toBe(-210);
  });
});

describe("formatRelative", () => {
  const now = t;
  it("reads as an engineer says it", () => {
    expect(formatRelative(now - 2_000, now)).toBe("just now");
    expect(formatRelative(now - 42_000, now)).toBe("42 s ago");
    expect(formatRelative(now - 3 * 60_000 - 20_000, now)).toBe("3 min ago");
    expect(formatRelative(now - (2 * 3600 + 5 * 60) * 1000, now)).toBe("2 h 5 min ago");
    expect(formatRelative(now - 2 * 3600_000, now)).toBe("2 h ago");
    expect(formatRelative(now - 15 * 3600_000 - 60_000, now)).toBe("15 h ago");
    expect(formatRelative(now - 4 * 86_400_000 - 3600_000, now)).toBe("4 d ago");
    expect(formatRelative(new Date(now - 60_000).toISOString(), now)).toBe("1 min ago");
  });
  it("says 'in' for a time ahead and a dash for none", () => {
    expect(formatRelative(now + 3 * 60_000, now)).toBe("in 3 min");
    expect(formatRelative(null, now)).toBe("—");
    expect(formatRelative("nope", now)).toBe("—");
  });
  it("re-renders young ages more often", () => {
    expect(relativeRefreshMs(now - 10_000, now)).toBe(1_000);
    expect(relativeRefreshMs(now - 600_000, now)).toBe(15_000);
    expect(relativeRefreshMs(now - 7200_000, now)).toBe(60_000);
  });
});

describe("the tz URL parameter", () => {
  it("parses utc, defaults to local", () => {
    expect(parseTimeZoneMode("utc")).toBe("utc");
    expect(parseTimeZoneMode("UTC")).toBe("utc");
    expect(parseTimeZoneMode("local")).toBe("local");
    expect(parseTimeZoneMode("Mars/Olympus")).toBe("local");
    expect(parseTimeZoneMode(null)).toBe("local");
  });
  it("is carried on in-app links and left off for local", () => {
    expect(withTimeZone("/kafka", "utc")).toBe("/kafka?tz=utc");
    expect(withTimeZone("/kafka?status=STALL&tz=utc", "local")).toBe("/kafka?status=STALL");
    expect(withTimeZone("/dead-letters?system=kafka&source=a%2Fb#row", "utc")).toBe("/dead-letters?system=kafka&source=a%2Fb&tz=utc#row");
    expect(withTimeZone("/rabbitmq/local/%2F/q", "utc")).toBe("/rabbitmq/local/%2F/q?tz=utc");
    expect(withTimeZone("/traces", "local")).toBe("/traces");
    expect(withTimeZone("https://example.com/x", "utc")).toBe("https://example.com/x");
    expect(withTimeZone("//evil.example/x", "utc")).toBe("//evil.example/x");
  });
});

describe("formatAxisTick", () => {
  it("writes hours and minutes, with the date for long ranges, in the chosen zone", () => {
    expect(formatAxisTick(t, "utc", false)).toBe("08:05");
    expect(formatAxisTick(t, "utc", true)).toBe("12-01 08:05");
    expect(formatAxisTick(t, "local", false, { timeZone: "Asia/Kolkata" })).toBe("13:35");
    expect(formatAxisTick(Date.UTC(2026, 11, 31, 23, 30), "local", true, { timeZone: "Asia/Tokyo" })).toBe("01-01 08:30");
    expect(formatAxisTick(null, "utc", true)).toBe("");
  });
});
