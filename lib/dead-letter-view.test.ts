import { describe, expect, it } from "vitest";
import { deathHistory, headerRows, hexDump, presentPayload } from "./dead-letter-view";

const b64 = (b: Buffer) => b.toString("base64");

describe("presentPayload", () => {
  it("pretty-prints JSON keeping numbers exactly", () => {
    const p = presentPayload({ text: '{"id":12345678901234567890,"a":[1,2]}', base64: "" }, 10_000);
    expect(p.kind).toBe("json");
    expect(p.text).toContain("12345678901234567890");
    expect(p.text).toContain('\n  "a": [');
  });
  it("shows text that is not JSON as text, markup and all, and binary as a hex dump", () => {
    expect(presentPayload({ text: "<script>alert(1)</script>", base64: "" }, 100)).toEqual({ kind: "text", text: "<script>alert(1)</script>", cut: false });
    expect(presentPayload({ text: "{not json", base64: "" }, 100).kind).toBe("text");
    const bin = presentPayload({ text: null, base64: b64(Buffer.from([0, 1, 0x7b, 0xff])) }, 10_000);
    expect(bin).toEqual({ kind: "hex", text: `00000000  ${"00 01 7b ff".padEnd(47)}  |..{.|`, cut: false });
  });
  it("cuts what is longer than the page shows and says so", () => {
    expect(presentPayload({ text: "x".repeat(50), base64: "" }, 10)).toEqual({ kind: "text", text: "x".repeat(10), cut: true });
    expect(presentPayload({ text: null, base64: b64(Buffer.alloc(1000)) }, 800).cut).toBe(true);
    expect(hexDump(Buffer.alloc(0))).toBe("");
  });
});

describe("headerRows", () => {
  it("decodes Spring's binary numbers and keeps everything else as given", () => {
    const part = Buffer.alloc(4);
    part.writeInt32BE(7);
    const ts = Buffer.alloc(8);
    ts.writeBigInt64BE(1795176000000n);
    const rows = headerRows({
      "kafka_dlt-original-partition": { base64: b64(part) },
      "kafka_dlt-original-timestamp": { base64: b64(ts) },
      "kafka_dlt-original-offset": "42",
      "order-id": "<b>ord-1</b>",
      multi: ["a", { base64: "AAE=" }],
      nested: { x: [1] },
    });
    expect(rows.map((r) => [r.name, r.value, r.encoding, r.decoded])).toEqual([
      ["kafka_dlt-original-offset", "42", "text", "42"],
      ["kafka_dlt-original-partition", b64(part), "base64", "7"],
      ["kafka_dlt-original-timestamp", b64(ts), "base64", "1795176000000 (2026-11-20T12:00:00.000Z)"],
      ["multi", "a", "text", null],
      ["multi", "AAE=", "base64", null],
      ["nested", '{"x":[1]}', "json", null],
      ["order-id", "<b>ord-1</b>", "text", null],
    ]);
  });
});

describe("deathHistory", () => {
  it("lists RabbitMQ's x-death, and nothing for malformed or Kafka headers", () => {
    const rows = deathHistory({ "x-death": [{ queue: "orders", reason: "rejected", count: 3, exchange: "shop", "routing-keys": ["orders.created"], time: { "!": "timestamp", value: 1795176000 } }] });
    expect(rows).toEqual([{ queue: "orders", reason: "rejected", count: 3, exchange: "shop", routingKeys: "orders.created", time: "2026-11-20T12:00:00.000Z" }]);
    expect(deathHistory({ "x-death": "garbage" })).toEqual([]);
    expect(deathHistory({})).toEqual([]);
  });
});
