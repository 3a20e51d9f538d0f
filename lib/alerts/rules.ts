import { z } from "zod";
import { parse as parseYaml } from "yaml";

/**
 * Alert rules: what each kind watches, the scope it watches (globs), and how long a condition must hold. The one
 * model of a rule: the rules file (ALERT_RULES_FILE), the API and the Alerts page all take this schema.
 */

export const alertRuleKinds = ["lag_status", "lag_seconds", "dead_letters_growth", "workflows_stuck", "source_unhealthy", "otlp_refusals"] as const;
export type AlertRuleKind = (typeof alertRuleKinds)[number];
export const alertSeverities = ["critical", "warning", "info"] as const;
export type AlertSeverity = (typeof alertSeverities)[number];
/** The group statuses a lag_status rule can be set to fire at (it fires at that status or a worse one). */
export const alertGroupStatuses = ["WARN", "STALL", "STOP"] as const;

export const alertKindHelp: Record<AlertRuleKind, string> = {
  lag_status: "a consumer group's status reaches `status` (WARN, STALL or STOP; default WARN) or worse",
  lag_seconds: "a consumer group's lag in seconds stays above `threshold` for `forMinutes`",
  dead_letters_growth: "a dead-letter source (or, with `failureGroup` in the scope, a failure group) takes `threshold` or more dead letters within `windowMinutes`",
  workflows_stuck: "more than `threshold` workflows of a name are stuck",
  source_unhealthy: "a source (Kafka cluster, RabbitMQ broker, Postgres, OTLP receiver) is unhealthy for `forMinutes`",
  otlp_refusals: "the OTLP receiver refuses exports (503) for `forMinutes`; a refusal within `windowMinutes` (default 1) counts as refusing now",
};

const glob = z
  .string()
  .min(1)
  .max(500)
  .refine((s) => !s.includes("\u0000"), "must not contain a NUL character");

/** What a scope can name, each a glob (the Alerts page's form has one field each). */
export const alertScopeKeys = ["cluster", "group", "broker", "queue", "source", "failureGroup", "workflow"] as const;
export type AlertScopeKey = (typeof alertScopeKeys)[number];

/** What each kind's scope can name: a key it does not look at would make a rule that never fires. */
export const alertScopeKeysOf: Record<AlertRuleKind, readonly AlertScopeKey[]> = {
  lag_status: ["cluster", "group"],
  lag_seconds: ["cluster", "group"],
  dead_letters_growth: ["cluster", "broker", "queue", "source", "failureGroup"],
  workflows_stuck: ["workflow"],
  source_unhealthy: ["cluster", "broker", "source"],
  otlp_refusals: [],
};

/** The labels each kind's alerts carry of what they watch (lib/alerts/evaluate.ts): a rule's labels cannot be these. */
export const alertInstanceLabels: Record<AlertRuleKind, readonly string[]> = {
  lag_status: ["cluster", "group"],
  lag_seconds: ["cluster", "group"],
  dead_letters_growth: ["system", "broker", "source", "vhost", "failure_group", "destination"],
  workflows_stuck: ["workflow"],
  source_unhealthy: ["system", "source"],
  otlp_refusals: ["source"],
};

/** The kinds each optional field means something to (forMinutes, to all). */
const fieldKinds = {
  status: ["lag_status"],
  threshold: ["lag_seconds", "dead_letters_growth", "workflows_stuck"],
  windowMinutes: ["dead_letters_growth", "otlp_refusals"],
} as const satisfies Record<string, readonly AlertRuleKind[]>;

export const alertScopeSchema = z
  .object({
    cluster: glob.optional(),
    group: glob.optional(),
    broker: glob.optional(),
    queue: glob.optional(),
    source: glob.optional(),
    failureGroup: glob.optional().meta({ description: "dead_letters_growth: a failure group's id (as on the Dead letters page, `?group=`); with it the rule watches failure groups, not sources" }),
    workflow: glob.optional(),
  })
  .strict()
  .meta({ id: "AlertScope", description: "what the rule watches; each a glob (`*`, `?`); absent means any" });
export type AlertScope = z.infer<typeof alertScopeSchema>;

const labelName = z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]{0,99}$/, "must be a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*)");

/**
 * A rule's fields, without the checks across them: what a stored rule is answered as (a rule stored before a check
 * was added must still list, so it can be seen, changed and deleted). What is taken in is `alertRuleInputSchema`.
 */
export const alertRuleFields = z
  .object({
    name: z
      .string()
      .min(1)
      .max(200)
      .regex(/^[^\u0000-\u001f]+$/, "must be one line of text")
      .refine((n) => n.trim() === n && n.trim() !== "", "must not be blank nor start or end with spaces"),
    kind: z.enum(alertRuleKinds),
    scope: alertScopeSchema.default({}),
    threshold: z.number().finite().min(0).max(1e12).optional(),
    forMinutes: z.number().min(0).max(10_080).optional(),
    windowMinutes: z.number().min(0.05).max(10_080).optional(),
    status: z.enum(alertGroupStatuses).optional().meta({ description: "lag_status: the status it fires at (or worse); default WARN" }),
    severity: z.enum(alertSeverities),
    labels: z
      .record(labelName, z.string().max(500))
      .refine((l) => Object.keys(l).length <= 20, "at most 20 labels")
      .optional(),
  })
  .strict();

export const alertRuleInputSchema = alertRuleFields
  .superRefine((r, ctx) => {
    const a = /^[aeiou]/.test(r.kind) ? `an ${r.kind}` : `a ${r.kind}`;
    if ((r.kind === "lag_seconds" || r.kind === "dead_letters_growth") && r.threshold === undefined) ctx.addIssue({ code: "custom", path: ["threshold"], message: `${a} rule needs a threshold` });
    if (r.labels && "alertname" in r.labels) ctx.addIssue({ code: "custom", path: ["labels", "alertname"], message: "alertname is the rule's name" });
    for (const k of Object.keys(r.labels ?? {})) {
      if (k === "severity") ctx.addIssue({ code: "custom", path: ["labels", k], message: "severity is the rule's severity" });
      else if (k.startsWith("__")) ctx.addIssue({ code: "custom", path: ["labels", k], message: "label names starting with __ are reserved by Prometheus" });
      else if (alertInstanceLabels[r.kind].includes(k)) ctx.addIssue({ code: "custom", path: ["labels", k], message: `${a} alert sets ${k} itself, to what it watches` });
    }
    for (const k of Object.keys(r.scope ?? {}) as AlertScopeKey[])
      if (!alertScopeKeysOf[r.kind].includes(k))
        ctx.addIssue({ code: "custom", path: ["scope", k], message: `${a} rule does not look at ${k}${alertScopeKeysOf[r.kind].length ? `; its scope can name ${alertScopeKeysOf[r.kind].join(", ")}` : "; it has no scope"}` });
    if (r.scope?.failureGroup !== undefined)
      for (const k of Object.keys(r.scope).filter((x) => x !== "failureGroup"))
        ctx.addIssue({ code: "custom", path: ["scope", k], message: "with failureGroup the rule watches failure groups (which span sources): name no other scope" });
    for (const [field, kinds] of Object.entries(fieldKinds) as [keyof typeof fieldKinds, readonly AlertRuleKind[]][])
      if (r[field] !== undefined && !kinds.includes(r.kind)) ctx.addIssue({ code: "custom", path: [field], message: `${a} rule has no ${field} (it is for ${kinds.join(", ")})` });
  })
  .meta({ id: "AlertRuleInput" });
export type AlertRuleInput = z.infer<typeof alertRuleInputSchema>;

/** The defaults each kind takes where the rule is silent. */
export function effectiveRule(r: AlertRuleInput): Required<Pick<AlertRuleInput, "threshold" | "forMinutes" | "windowMinutes">> & AlertRuleInput {
  return { ...r, threshold: r.threshold ?? 0, forMinutes: r.forMinutes ?? 0, windowMinutes: r.windowMinutes ?? 10 };
}

/**
 * The rules of a file (YAML or JSON: `{ rules: [...] }` or a list), each validated; the errors name the rule (its
 * name, or its place) and the field. Names must be unique.
 */
export function parseRulesFile(text: string, fileName: string): { rules: AlertRuleInput[]; errors: string[] } {
  let doc: unknown;
  try {
    doc = /\.json$/i.test(fileName) ? JSON.parse(text) : parseYaml(text, { maxAliasCount: 100 });
  } catch (e) {
    return { rules: [], errors: [`${fileName}: not ${/\.json$/i.test(fileName) ? "JSON" : "YAML"}: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`] };
  }
  const list = Array.isArray(doc) ? doc : doc && typeof doc === "object" && Array.isArray((doc as { rules?: unknown }).rules) ? (doc as { rules: unknown[] }).rules : null;
  if (!list) return { rules: [], errors: [`${fileName}: expected a list of rules, or { rules: [...] }`] };
  const rules: AlertRuleInput[] = [];
  const errors: string[] = [];
  const seen = new Set<string>();
  list.forEach((raw, i) => {
    const name = raw && typeof raw === "object" && typeof (raw as { name?: unknown }).name === "string" ? (raw as { name: string }).name : null;
    const where = name ? `rule '${name}'` : `rule ${i + 1}`;
    const r = alertRuleInputSchema.safeParse(raw);
    if (!r.success) {
      for (const issue of r.error.issues) errors.push(`${fileName}: ${where}: ${issue.path.length ? `${issue.path.join(".")}: ` : ""}${issue.message}`);
      return;
    }
    if (seen.has(r.data.name)) errors.push(`${fileName}: ${where}: name: another rule has this name`);
    seen.add(r.data.name);
    rules.push(r.data);
  });
  return { rules, errors };
}
