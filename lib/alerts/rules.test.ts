import { describe, expect, it } from "vitest";
import { evaluateRule, nextState, type AlertObservations } from "./evaluate";
import { alertInstanceLabels, alertRuleFields, alertRuleInputSchema, alertRuleKinds, parseRulesFile } from "./rules";

describe("alert rules", () => {
  it("a rules file in YAML or JSON: every error names its rule and field", () => {
    const yaml = `
rules:
  - name: slow-consumers
    kind: lag_seconds
    scope: { cluster: local, group: "shop-*" }
    threshold: 600
    forMinutes: 5
    severity: warning
    labels: { team: shop }
  - name: no-threshold
    kind: dead_letters_growth
    severity: warning
  - name: bad
    kind: lag_whatever
    severity: loud
    scope: { topic: x }
  - kind: lag_status
    severity: critical
    labels: { "bad label": x }
  - name: slow-consumers
    kind: lag_status
    severity: critical
`;
    const { rules, errors } = parseRulesFile(yaml, "rules.yml");
    expect(rules.map((r) => r.name)).toEqual(["slow-consumers", "slow-consumers"]);
    expect(errors).toEqual([
      "rules.yml: rule 'no-threshold': threshold: a dead_letters_growth rule needs a threshold",
      expect.stringMatching(/^rules\.yml: rule 'bad': kind: /),
      expect.stringMatching(/^rules\.yml: rule 'bad': scope: Unrecognized key/),
      expect.stringMatching(/^rules\.yml: rule 'bad': severity: /),
      expect.stringMatching(/^rules\.yml: rule 4: name: /),
      expect.stringMatching(/^rules\.yml: rule 4: labels\.bad label: /),
      "rules.yml: rule 'slow-consumers': name: another rule has this name",
    ]);
    expect(parseRulesFile(JSON.stringify([{ name: "j", kind: "otlp_refusals", severity: "info" }]), "r.json")).toEqual({ rules: [{ name: "j", kind: "otlp_refusals", scope: {}, severity: "info" }], errors: [] });
    expect(parseRulesFile("rules: [", "r.yaml").errors[0]).toMatch(/^r\.yaml: not YAML/);
    expect(parseRulesFile("{}", "r.json").errors).toEqual(["r.json: expected a list of rules, or { rules: [...] }"]);
    // a NUL, a control character, alertname as a label: refused
    expect(alertRuleInputSchema.safeParse({ name: "a\u0000", kind: "otlp_refusals", severity: "info" }).success).toBe(false);
    expect(alertRuleInputSchema.safeParse({ name: "a", kind: "otlp_refusals", severity: "info", labels: { alertname: "x" } }).success).toBe(false);
  });

  it("refuses what a kind would silently ignore, naming the field: a scope key it does not look at, a field it has no use for, labels it sets itself", () => {
    const issues = (r: unknown) => {
      const p = alertRuleInputSchema.safeParse(r);
      return p.success ? [] : p.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    };
    expect(issues({ name: "q", kind: "lag_status", scope: { queue: "shop-analytics-slow" }, severity: "critical" })).toEqual(["scope.queue: a lag_status rule does not look at queue; its scope can name cluster, group"]);
    expect(issues({ name: "o", kind: "otlp_refusals", scope: { source: "x" }, status: "WARN", threshold: 3, severity: "info" })).toEqual([
      "scope.source: an otlp_refusals rule does not look at source; it has no scope",
      "status: an otlp_refusals rule has no status (it is for lag_status)",
      "threshold: an otlp_refusals rule has no threshold (it is for lag_seconds, dead_letters_growth, workflows_stuck)",
    ]);
    expect(issues({ name: "l", kind: "lag_status", severity: "info", labels: { severity: "critical", group: "fake", __x: "v", team: "ok" } })).toEqual([
      "labels.severity: severity is the rule's severity",
      "labels.group: a lag_status alert sets group itself, to what it watches",
      "labels.__x: label names starting with __ are reserved by Prometheus",
    ]);
    expect(issues({ name: " ", kind: "otlp_refusals", severity: "info" })).toEqual(["name: must not be blank nor start or end with spaces"]);
    expect(issues({ name: "x ", kind: "otlp_refusals", severity: "info" })).toHaveLength(1);
    // what each kind uses is accepted
    expect(issues({ name: "d", kind: "dead_letters_growth", scope: { failureGroup: "ab*" }, threshold: 1, windowMinutes: 5, forMinutes: 1, severity: "info", labels: { team: "t" } })).toEqual([]);
    expect(issues({ name: "d", kind: "dead_letters_growth", scope: { failureGroup: "ab*", broker: "local" }, threshold: 1, severity: "info" })).toEqual(["scope.broker: with failureGroup the rule watches failure groups (which span sources): name no other scope"]);
    // what is stored is answered as it is, even a rule a later check would refuse
    expect(alertRuleFields.safeParse({ name: "old", kind: "lag_status", scope: { queue: "q" }, threshold: 3, severity: "info" }).success).toBe(true);
    expect(issues({ name: "w", kind: "workflows_stuck", scope: { workflow: "checkout" }, threshold: 2, severity: "info" })).toEqual([]);
  });

  it("each kind's alerts carry only the labels alertInstanceLabels lists for it", () => {
    const now = 1_000_000_000;
    const o = obs({
      nowMs: now,
      groups: [{ cluster: "c", group: "g", status: "STOP", maxLagSeconds: 9, totalLag: 9, inactive: false }],
      deadLetters: [{ system: "rabbitmq", sourceName: "b", vhost: "/", source: "q.dlq", capturedMs: [now] }],
      deadLetterGroups: [{ failureGroup: "0123456789abcdef", destination: "q", failureType: null, reason: "rejected", capturedMs: [now] }],
      stuckWorkflows: [{ name: "w", count: 3 }],
      sources: [{ system: "kafka", name: "c", healthy: false, error: "x" }],
      otlpLastRefusalMs: now,
    });
    for (const kind of alertRuleKinds)
      for (const scope of kind === "dead_letters_growth" ? [{}, { failureGroup: "*" }] : [{}])
        for (const i of evaluateRule({ name: "r", kind, scope, threshold: 0, severity: "info" }, o)) for (const l of Object.keys(i.labels)) expect(alertInstanceLabels[kind], `${kind} ${l}`).toContain(l);
  });
});

const obs = (o: Partial<AlertObservations> = {}): AlertObservations => ({ nowMs: 1_000_000_000, groups: [], deadLetters: [], deadLetterGroups: [], stuckWorkflows: [], sources: [], otlpLastRefusalMs: null, ...o });

describe("evaluateRule", () => {
  const groups: AlertObservations["groups"] = [
    { cluster: "local", group: "shop-analytics-slow", status: "WARN", maxLagSeconds: 840, totalLag: 9000, inactive: false },
    { cluster: "local", group: "shop-inventory", status: "OK", maxLagSeconds: 1, totalLag: 0, inactive: false },
    { cluster: "local", group: "old", status: "STOP", maxLagSeconds: 99_999, totalLag: 5, inactive: true },
    { cluster: "eu", group: "shop-analytics-slow", status: "STALL", maxLagSeconds: 30, totalLag: 3, inactive: false },
  ];
  it("lag_status and lag_seconds watch the live groups of their scope", () => {
    const st = evaluateRule({ name: "s", kind: "lag_status", scope: { cluster: "local" }, severity: "warning" }, obs({ groups }));
    expect(st.map((i) => [i.key, i.active])).toEqual([["local/shop-analytics-slow", true], ["local/shop-inventory", false]]);
    const stall = evaluateRule({ name: "s", kind: "lag_status", status: "STALL", scope: { group: "shop-*" }, severity: "critical" }, obs({ groups }));
    expect(stall.filter((i) => i.active).map((i) => i.key)).toEqual(["eu/shop-analytics-slow"]);
    const secs = evaluateRule({ name: "l", kind: "lag_seconds", scope: {}, threshold: 600, severity: "warning" }, obs({ groups }));
    expect(secs.filter((i) => i.active).map((i) => [i.key, i.value, i.path])).toEqual([["local/shop-analytics-slow", 840, "/kafka/local/shop-analytics-slow"]]);
  });
  it("dead_letters_growth counts the window's captures per source", () => {
    const now = 1_000_000_000;
    const d = [{ system: "rabbitmq", sourceName: "local", vhost: "/", source: "orders.dlq", capturedMs: [now - 1000, now - 2000, now - 3000, now - 600_000] }];
    const r = evaluateRule({ name: "d", kind: "dead_letters_growth", scope: { source: "*.dlq" }, threshold: 3, windowMinutes: 5, severity: "warning" }, obs({ nowMs: now, deadLetters: d }));
    expect(r).toMatchObject([{ active: true, value: 3, labels: { system: "rabbitmq", broker: "local", source: "orders.dlq", vhost: "/" } }]);
    expect(evaluateRule({ name: "d", kind: "dead_letters_growth", scope: {}, threshold: 4, windowMinutes: 5, severity: "warning" }, obs({ nowMs: now, deadLetters: d }))[0]!.active).toBe(false);
    expect(evaluateRule({ name: "d", kind: "dead_letters_growth", scope: { source: "other" }, threshold: 1, severity: "warning" }, obs({ nowMs: now, deadLetters: d }))).toEqual([]);
  });
  it("dead_letters_growth with a failure group in its scope watches failure groups: one alert each, linking to the group", () => {
    const now = 1_000_000_000;
    const deadLetterGroups: AlertObservations["deadLetterGroups"] = [
      { failureGroup: "0123456789abcdef", destination: "shop.payments", failureType: "PaymentDeclined", reason: "rejected", capturedMs: [now - 1000, now - 2000, now - 3000] },
      { failureGroup: "fedcba9876543210", destination: null, failureType: null, reason: "expired", capturedMs: [now - 1000] },
    ];
    // the sources' dead letters are not what it counts
    const deadLetters: AlertObservations["deadLetters"] = [{ system: "rabbitmq", sourceName: "local", vhost: "/", source: "a.dlq", capturedMs: [now, now, now, now] }];
    const r = evaluateRule({ name: "g", kind: "dead_letters_growth", scope: { failureGroup: "0123*" }, threshold: 3, windowMinutes: 5, severity: "warning" }, obs({ nowMs: now, deadLetters, deadLetterGroups }));
    expect(r).toEqual([
      {
        key: "failure-group/0123456789abcdef",
        active: true,
        value: 3,
        labels: { failure_group: "0123456789abcdef", destination: "shop.payments" },
        summary: "3 dead letters in failure group 0123456789abcdef (shop.payments: PaymentDeclined) within 5 min",
        path: "/dead-letters?group=0123456789abcdef",
      },
    ]);
    const all = evaluateRule({ name: "g", kind: "dead_letters_growth", scope: { failureGroup: "*" }, threshold: 2, windowMinutes: 5, severity: "warning" }, obs({ nowMs: now, deadLetters, deadLetterGroups }));
    expect(all.map((i) => [i.key, i.active])).toEqual([["failure-group/0123456789abcdef", true], ["failure-group/fedcba9876543210", false]]);
    expect(all[1]!.summary).toBe("1 dead letter in failure group fedcba9876543210 (expired) within 5 min");
  });

  it("workflows_stuck, source_unhealthy and otlp_refusals", () => {
    expect(evaluateRule({ name: "w", kind: "workflows_stuck", scope: { workflow: "POST*" }, threshold: 2, severity: "warning" }, obs({ stuckWorkflows: [{ name: "POST /orders", count: 3 }, { name: "GET /x", count: 9 }] })).map((i) => [i.key, i.active])).toEqual([["POST /orders", true]]);
    expect(evaluateRule({ name: "u", kind: "source_unhealthy", scope: { broker: "local" }, severity: "critical" }, obs({ sources: [{ system: "rabbitmq", name: "local", healthy: false, error: "refused" }, { system: "kafka", name: "local", healthy: true, error: null }] })).map((i) => [i.key, i.active])).toEqual([["rabbitmq/local", true]]);
    const now = 1_000_000_000;
    expect(evaluateRule({ name: "o", kind: "otlp_refusals", scope: {}, severity: "warning" }, obs({ nowMs: now, otlpLastRefusalMs: now - 5000 }))[0]!.active).toBe(true);
    expect(evaluateRule({ name: "o", kind: "otlp_refusals", scope: {}, severity: "warning" }, obs({ nowMs: now, otlpLastRefusalMs: now - 61_000 }))[0]!.active).toBe(false);
    // a window of its own: 6 s
    expect(evaluateRule({ name: "o", kind: "otlp_refusals", scope: {}, windowMinutes: 0.1, severity: "warning" }, obs({ nowMs: now, otlpLastRefusalMs: now - 5000 }))[0]!.active).toBe(true);
    expect(evaluateRule({ name: "o", kind: "otlp_refusals", scope: {}, windowMinutes: 0.1, severity: "warning" }, obs({ nowMs: now, otlpLastRefusalMs: now - 7000 }))[0]!.active).toBe(false);
  });
});

describe("nextState", () => {
  it("pending until the condition held forMinutes, fires once, resolves once", () => {
    const m = 60_000;
    let s = nextState(null, true, 0, 2);
    expect(s).toEqual({ state: { state: "pending", activeSinceMs: 0, firedAtMs: null, resolvedAtMs: null }, event: null });
    s = nextState(s.state, true, 1 * m, 2);
    expect(s.event).toBeNull();
    s = nextState(s.state, true, 2 * m, 2);
    expect(s).toEqual({ state: { state: "firing", activeSinceMs: 0, firedAtMs: 2 * m, resolvedAtMs: null }, event: "fired" });
    // firing stays firing without firing again (the state a restart loads)
    expect(nextState(s.state, true, 3 * m, 2)).toEqual({ state: s.state, event: null });
    const r = nextState(s.state, false, 4 * m, 2);
    expect(r).toEqual({ state: { state: "resolved", activeSinceMs: 0, firedAtMs: 2 * m, resolvedAtMs: 4 * m }, event: "resolved" });
    expect(nextState(r.state, false, 5 * m, 2)).toEqual({ state: r.state, event: null });
    // a pending one that clears just ends; a new condition after a resolve starts over
    expect(nextState({ state: "pending", activeSinceMs: 0, firedAtMs: null, resolvedAtMs: null }, false, m, 2)).toEqual({ state: null, event: null });
    expect(nextState(r.state, true, 6 * m, 0)).toMatchObject({ state: { state: "firing", activeSinceMs: 6 * m }, event: "fired" });
  });
});
