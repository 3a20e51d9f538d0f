import { describe, expect, it } from "vitest";
import { alertmanagerAlert, slackBody, webhookBody, type DeliverableEvent } from "./delivery";

const event = (over: Partial<DeliverableEvent> = {}): DeliverableEvent => ({
  id: 7,
  ruleId: 1,
  ruleName: "dlq growing",
  kind: "dead_letters_growth",
  severity: "warning",
  key: "rabbitmq/local///orders.dlq",
  event: "fired",
  startsAtMs: Date.parse("2026-12-02T01:00:00Z"),
  atMs: Date.parse("2026-12-02T01:05:00Z"),
  value: 4,
  labels: { source: "orders.dlq" },
  summary: "4 dead letters in orders.dlq",
  path: "/dead-letters?system=rabbitmq&source=orders.dlq",
  ...over,
});

describe("Slack text", () => {
  it("escapes what the watched system names, so a queue called <!channel> pages nobody and makes no link", () => {
    const text = JSON.parse(slackBody(event({ ruleName: "a & b", summary: "3 dead letters in <!channel> and <https://evil.example|your dashboard>" }), "http://sy.example:3000")).text as string;
    expect(text).toContain("a &amp; b");
    expect(text).toContain("&lt;!channel&gt;");
    expect(text).toContain("&lt;https://evil.example|your dashboard&gt;");
    expect(text).not.toContain("<!channel>");
    // the one link is to Switchyard, and a | in its address cannot end it early
    expect(text.match(/<[^<>]*>/g)).toEqual(["<http://sy.example:3000/dead-letters?system=rabbitmq&amp;source=orders.dlq|open in Switchyard>"]);
    const piped = JSON.parse(slackBody(event({ path: "/kafka/local/a|b" }), "http://sy.example")).text as string;
    expect(piped).toContain("<http://sy.example/kafka/local/a%7Cb|open in Switchyard>");
    expect(text.startsWith(":red_circle: FIRING [warning]")).toBe(true);
    expect(JSON.parse(slackBody(event({ event: "resolved" }), "http://x")).text).toMatch(/^:large_green_circle: RESOLVED/);
  });
});

describe("Alertmanager and webhook bodies", () => {
  it("a resolve ends at its time; a firing alert ends minutes ahead, renewed while it fires", () => {
    const now = Date.now();
    const fired = alertmanagerAlert(event(), "http://sy.example");
    expect(Date.parse(fired.endsAt)).toBeGreaterThan(now + 4 * 60_000);
    expect(fired.labels).toEqual({ source: "orders.dlq", alertname: "dlq growing", severity: "warning" });
    expect(fired.generatorURL).toBe("http://sy.example/dead-letters?system=rabbitmq&source=orders.dlq");
    const resolved = alertmanagerAlert(event({ event: "resolved" }), "http://sy.example");
    expect(resolved.endsAt).toBe("2026-12-02T01:05:00.000Z");
    const body = JSON.parse(webhookBody(event({ event: "resolved" }), "http://sy.example"));
    expect(body).toMatchObject({ id: 7, event: "resolved", rule: "dlq growing", endsAt: "2026-12-02T01:05:00.000Z", url: "http://sy.example/dead-letters?system=rabbitmq&source=orders.dlq" });
  });
});
