import { describe, expect, it } from "vitest";
import { matchesAny, selectNames } from "./patterns";
import { traceIdFromTraceparent } from "./traceparent";

describe("patterns", () => {
  it("matches globs exactly, with dots literal", () => {
    expect(matchesAny("orders.DLT", ["*.DLT"])).toBe(true);
    expect(matchesAny("ordersXDLT", ["*.DLT"])).toBe(false);
    expect(matchesAny("dlq.payments", ["dlq.*"])).toBe(true);
    expect(matchesAny("orders.DLT.extra", ["*.DLT"])).toBe(false);
    // a newline in a name is a character like any other; an emoji is one character
    expect(matchesAny("probe\nnewline", ["*"])).toBe(true);
    expect(matchesAny("probe\nnewline", ["probe*line"])).toBe(true);
    expect(matchesAny("a😀b", ["a?b"])).toBe(true);
  });
  it("selects by include and exclude", () => {
    expect(selectNames(["a", "b", "switchyard-x"], [], ["switchyard-*"])).toEqual(["a", "b"]);
    expect(selectNames(["app-1", "app-2", "other"], ["app-*"], ["app-2"])).toEqual(["app-1"]);
  });
});

describe("traceIdFromTraceparent", () => {
  it("takes the trace id of a valid header and refuses the rest", () => {
    expect(traceIdFromTraceparent("00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01")).toBe("0af7651916cd43dd8448eb211c80319c");
    expect(traceIdFromTraceparent("00-00000000000000000000000000000000-b7ad6b7169203331-01")).toBeNull();
    expect(traceIdFromTraceparent("ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")).toBeNull();
    expect(traceIdFromTraceparent("garbage")).toBeNull();
    expect(traceIdFromTraceparent(42)).toBeNull();
  });
});
