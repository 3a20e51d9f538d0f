import { describe, expect, it } from "vitest";
import { amqpUrlForVhost, vhostOfAmqpUrl } from "./amqp-url";

describe("amqpUrlForVhost", () => {
  it("replaces the vhost, percent-encoded, and keeps credentials and query", () => {
    expect(amqpUrlForVhost("amqp://u:p%40ss@h:5672/a?heartbeat=10", "b")).toBe("amqp://u:p%40ss@h:5672/b?heartbeat=10");
    expect(amqpUrlForVhost("amqp://u:p@h:5672", "/")).toBe("amqp://u:p@h:5672/%2F");
    expect(amqpUrlForVhost("amqps://h/x", "a b/c%")).toBe("amqps://h/a%20b%2Fc%25");
    for (const v of ["/", "a", "a b/c%", "ünï"]) expect(vhostOfAmqpUrl(amqpUrlForVhost("amqp://h:1/zz", v))).toBe(v);
    expect(vhostOfAmqpUrl("amqp://h:1")).toBe("/");
    expect(vhostOfAmqpUrl("amqp://h:1/")).toBe("/");
  });
});
