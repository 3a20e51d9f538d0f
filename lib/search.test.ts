import { describe, expect, it } from "vitest";
import { nameMatch, rankResults, searchDestination, searchTerms, searchUrls, type SearchResult } from "./search";

describe("searchTerms", () => {
  it("reads a trace id, a traceparent, a span id and a dead letter id; text stays text", () => {
    const trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    expect(searchTerms(` ${trace.toUpperCase()} `)).toMatchObject({ traceId: trace, spanId: null, numericId: null });
    expect(searchTerms(`00-${trace}-00f067aa0ba902b7-01`)).toMatchObject({ text: trace, traceId: trace });
    expect(searchTerms("00f067aa0ba902b7")).toMatchObject({ spanId: "00f067aa0ba902b7", traceId: null });
    // as a header line, as a UUID, and a dead letter's #id
    expect(searchTerms(`traceparent: 00-${trace}-00f067aa0ba902b7-01`)).toMatchObject({ traceId: trace });
    const uuid = `${trace.slice(0, 8)}-${trace.slice(8, 12)}-${trace.slice(12, 16)}-${trace.slice(16, 20)}-${trace.slice(20)}`;
    // as a trace id, and as itself for message ids, keys and order ids
    expect(searchTerms(uuid)).toMatchObject({ traceId: trace, text: uuid });
    expect(searchTerms("#123")).toMatchObject({ numericId: 123, text: "123" });
    expect(searchTerms("#0")).toMatchObject({ numericId: null });
    expect(searchTerms("1234")).toMatchObject({ numericId: 1234, traceId: null, spanId: null });
    for (const s of ["0".repeat(32), "0".repeat(16), "0", "-3", "1e3", "ord-1", "99999999999999999999"]) {
      const t = searchTerms(s);
      expect([t.traceId, t.spanId, t.numericId], s).toEqual([null, null, null]);
    }
    expect(searchTerms("ord-e37263c2-57a6").text).toBe("ord-e37263c2-57a6");
    // a paste's invisible characters at the ends are not part of what is looked for
    expect(searchTerms(`\u200B\uFEFF${trace}\u2060 `).traceId).toBe(trace);
    expect(searchTerms("\u200B\u200C").text).toBe("");
  });
});

describe("ranking", () => {
  const r = (kind: SearchResult["kind"], id: string, match: SearchResult["match"], exact = false): SearchResult => ({ kind, id, title: id, url: `/${id}`, exact, match });
  it("an id or a key first, then names whole, prefix, part; each result once with its best match", () => {
    const ranked = rankResults([r("queue", "orders-archive", "prefix"), r("trace", "t1", "related"), r("workflow", "7", "key", true), r("group", "orders", "name", true), r("trace", "t1", "id", true), r("topic", "x.orders", "part")]);
    expect(ranked.map((x) => `${x.kind}:${x.id}:${x.match}`)).toEqual(["trace:t1:id", "workflow:7:key", "group:orders:name", "queue:orders-archive:prefix", "topic:x.orders:part"]);
  });
  it("names match case aside, whole, prefix or part", () => {
    expect(nameMatch("Shop.Orders", "shop.orders")).toBe("name");
    expect(nameMatch("shop.orders.DLT", "shop.orders")).toBe("prefix");
    expect(nameMatch("eu.shop.orders", "shop.orders")).toBe("part");
    expect(nameMatch("payments", "orders")).toBeNull();
  });
  it("Enter opens the page of the one exact match, else the results page", () => {
    expect(searchDestination("abc", [r("trace", "abc", "id", true), r("dead_letter", "5", "related")])).toBe("/abc");
    expect(searchDestination(" ord <1> ", [r("workflow", "1", "key", true), r("group", "g", "name", true)])).toBe("/search?q=ord+%3C1%3E");
    expect(searchDestination("x", [])).toBe("/search?q=x");
  });
  it("links each kind to its page, names encoded", () => {
    expect(searchUrls.span("a".repeat(32), "b".repeat(16))).toBe(`/traces/${"a".repeat(32)}?span=${"a".repeat(32)}%3A${"b".repeat(16)}`);
    expect(searchUrls.group("local", "a/b c")).toBe("/kafka/local/a%2Fb%20c");
    expect(searchUrls.queue("local", "/", "q#1")).toBe("/rabbitmq/local/%2F/q%231");
    expect(searchUrls.topic("shop.orders")).toBe("/flows?sel=kafka%3Ashop.orders");
  });
});
