"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { fetchEndpoint, sendJson } from "@/app/_components/fetch-json";
import { Can } from "@/app/_components/me";
import { Loading, QueryError } from "@/app/_components/query-state";
import { AppLink, Time } from "@/app/_components/time";
import type * as api from "@/lib/api/contracts/alerts";
import type { ResponseOf } from "@/lib/api/endpoint";
import { alertGroupStatuses, alertKindHelp, alertRuleKinds, alertScopeKeys, alertSeverities, type AlertRuleInput, type AlertRuleKind } from "@/lib/alerts/rules";

type Rule = ResponseOf<typeof api.listAlerts>["rules"][number];
const scopeText = (s: Rule["scope"]) =>
  Object.entries(s)
    .map(([k, v]) => `${k}=${v}`)
    .join(", ") || "everything";

/** Adds a rule, or (with `editing`) changes one made here: the same form, filled with the rule. */
function RuleForm({ editing, onDone }: { editing: Rule | null; onDone: () => void }) {
  const qc = useQueryClient();
  const [kind, setKind] = useState<AlertRuleKind>(editing?.kind ?? "lag_status");
  const [error, setError] = useState<string | null>(null);
  const add = useMutation({
    mutationFn: (rule: AlertRuleInput) => (editing ? sendJson<Rule>("PUT", `/api/v1/alerts/rules/${editing.id}`, rule) : sendJson<Rule>("POST", "/api/v1/alerts/rules", rule)),
    onSuccess: () => {
      setError(null);
      onDone();
      void qc.invalidateQueries({ queryKey: ["alerts"] });
    },
    onError: (e) => setError(e instanceof Error ? e.message : String(e)),
  });
  const d = editing;
  return (
    <form
      className="card"
      data-testid="alert-rule-form"
      onSubmit={(e) => {
        e.preventDefault();
        const f = new FormData(e.currentTarget);
        const text = (k: string) => String(f.get(k) ?? "").trim();
        const num = (k: string) => (text(k) === "" ? undefined : Number(text(k)));
        const scope = Object.fromEntries(alertScopeKeys.filter((k) => text(k)).map((k) => [k, text(k)]));
        const labels = Object.fromEntries(
          text("labels")
            .split(",")
            .map((p) => p.trim())
            .filter(Boolean)
            .map((p) => [p.split("=")[0]!.trim(), p.split("=").slice(1).join("=").trim()]),
        );
        add.mutate({
          name: text("name"),
          kind,
          scope,
          threshold: num("threshold"),
          forMinutes: num("forMinutes"),
          windowMinutes: num("windowMinutes"),
          ...(kind === "lag_status" && text("status") ? { status: text("status") as AlertRuleInput["status"] } : {}),
          severity: text("severity") as AlertRuleInput["severity"],
          ...(Object.keys(labels).length ? { labels } : {}),
        });
      }}
    >
      <h2>{d ? `Change rule ${d.name}` : "Add a rule"}</h2>
      <div className="toolbar">
        <input name="name" aria-label="Rule name" placeholder="name" required maxLength={200} defaultValue={d?.name} />
        <select name="kind" aria-label="Kind" value={kind} onChange={(e) => setKind(e.target.value as AlertRuleKind)}>
          {alertRuleKinds.map((k) => (
            <option key={k}>{k}</option>
          ))}
        </select>
        <select name="severity" aria-label="Severity" defaultValue={d?.severity ?? "warning"}>
          {alertSeverities.map((s) => (
            <option key={s}>{s}</option>
          ))}
        </select>
        {kind === "lag_status" ? (
          <select name="status" aria-label="At status" defaultValue={d?.status ?? "WARN"}>
            {alertGroupStatuses.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        ) : null}
        <input name="threshold" aria-label="Threshold" placeholder="threshold" inputMode="decimal" size={8} defaultValue={d?.threshold} />
        <input name="forMinutes" aria-label="For minutes" placeholder="for (min)" inputMode="decimal" size={7} defaultValue={d?.forMinutes} />
        <input name="windowMinutes" aria-label="Window minutes" placeholder="window (min)" inputMode="decimal" size={9} defaultValue={d?.windowMinutes} />
      </div>
      <div className="toolbar">
        {alertScopeKeys.map((k) => (
          <input key={k} name={k} aria-label={`Scope ${k}`} placeholder={`${k} (glob)`} size={12} defaultValue={d?.scope[k as keyof Rule["scope"]]} />
        ))}
        <input
          name="labels"
          aria-label="Labels"
          placeholder="labels: team=shop, …"
          size={20}
          defaultValue={Object.entries(d?.labels ?? {})
            .map(([k, v]) => `${k}=${v}`)
            .join(", ")}
        />
        <button type="submit" disabled={add.isPending}>
          {d ? "Save rule" : "Add rule"}
        </button>
        {d ? (
          <button type="button" className="link-button" onClick={onDone}>
            cancel
          </button>
        ) : null}
      </div>
      <p className="muted small">{alertKindHelp[kind]}</p>
      {error ? (
        <p className="error" role="alert" data-testid="alert-rule-error">
          {error}
        </p>
      ) : null}
    </form>
  );
}

function RuleControls({ rule, onEdit }: { rule: Rule; onEdit: () => void }) {
  const qc = useQueryClient();
  const del = useMutation({
    mutationFn: () => sendJson<Rule>("DELETE", `/api/v1/alerts/rules/${rule.id}`),
    onSettled: () => void qc.invalidateQueries({ queryKey: ["alerts"] }),
  });
  if (rule.origin === "file") return <span className="muted small">in ALERT_RULES_FILE</span>;
  return (
    <span className="nowrap">
      <button type="button" className="link-button" onClick={onEdit} aria-label={`Change rule ${rule.name}`}>
        change
      </button>{" "}
      <button type="button" className="link-button" onClick={() => del.mutate()} disabled={del.isPending} aria-label={`Delete rule ${rule.name}`}>
        delete
      </button>
    </span>
  );
}

export function AlertsView() {
  const alerts = useQuery({ queryKey: ["alerts"], queryFn: ({ signal }) => fetchEndpoint<typeof api.listAlerts>("/api/v1/alerts", { signal }), refetchInterval: 5000 });
  const [editing, setEditing] = useState<Rule | null>(null);
  const history = useQuery({ queryKey: ["alerts", "history"], queryFn: ({ signal }) => fetchEndpoint<typeof api.getAlertHistory>("/api/v1/alerts/history", { query: { limit: "50" }, signal }), refetchInterval: 10_000 });
  if (alerts.error && !alerts.data) return <QueryError error={alerts.error} what="the alerts" />;
  if (!alerts.data) return <Loading what="alerts" />;
  const { rules, firing, targets } = alerts.data;
  return (
    <>
      <h2>Firing now</h2>
      {firing.length === 0 ? (
        <p className="ok-text" data-testid="alerts-none-firing">
          Nothing fires.
        </p>
      ) : (
        <ul className="attention-list" data-testid="alerts-firing">
          {firing.map((f) => (
            <li key={`${f.ruleId}/${f.key}`} data-rule={f.rule}>
              <span className={`dot ${f.severity === "critical" ? "bad" : "warn"}`} aria-hidden /> <strong>{f.rule}</strong> <AppLink href={f.url}>{f.summary}</AppLink>{" "}
              <span className="muted small">
                since <Time value={f.firedAt ?? f.activeSince} relative />
              </span>
            </li>
          ))}
        </ul>
      )}
      <p className="muted small">Delivered to: {targets.length ? targets.join(", ") : "nowhere yet (set ALERTMANAGER_URL, ALERT_SLACK_WEBHOOK_URL or ALERT_WEBHOOK_URL)"}</p>
      <h2>Rules</h2>
      <div className="table-scroll">
        <table className="grid-table" data-testid="alert-rules">
          <thead>
            <tr>
              <th>Name</th>
              <th>Kind</th>
              <th>Scope</th>
              <th>Threshold</th>
              <th>For / window</th>
              <th>Severity</th>
              <th>Labels</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {rules.map((r) => (
              <tr key={r.id} data-rule={r.name}>
                <td>{r.name}</td>
                <td className="small">
                  {r.kind}
                  {r.status ? ` ≥ ${r.status}` : ""}
                </td>
                <td className="small truncate" title={scopeText(r.scope)}>
                  {scopeText(r.scope)}
                </td>
                <td className="num">{r.threshold ?? "—"}</td>
                <td className="small nowrap">
                  {r.forMinutes ?? 0} min / {r.windowMinutes ?? "—"} min
                </td>
                <td>{r.severity}</td>
                <td className="small">
                  {Object.entries(r.labels ?? {})
                    .map(([k, v]) => `${k}=${v}`)
                    .join(", ")}
                </td>
                <td>
                  <Can what="editAlerts">
                    <RuleControls rule={r} onEdit={() => setEditing(r)} />
                  </Can>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {rules.length === 0 ? <p className="muted">No rules yet.</p> : null}
      <Can what="editAlerts">
        <RuleForm key={editing?.id ?? "new"} editing={editing} onDone={() => setEditing(null)} />
      </Can>
      <h2>History</h2>
      {history.data ? (
        <ul className="attention-list" data-testid="alerts-history">
          {history.data.items.map((e) => (
            <li key={e.id}>
              <Time value={e.at} /> <strong>{e.event}</strong> {e.rule}: <AppLink href={e.url}>{e.summary}</AppLink>
            </li>
          ))}
          {history.data.items.length === 0 ? <li className="muted">Nothing has fired yet.</li> : null}
        </ul>
      ) : history.error ? (
        <QueryError error={history.error} what="the alert history" />
      ) : (
        <Loading what="the history" />
      )}
    </>
  );
}
