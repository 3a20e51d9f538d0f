import { createHmac } from "node:crypto";
import type { AlertEventRow } from "../../db/queries/alerts";
import type { AlertTargets } from "../../lib/alerts/targets";

/**
 * What an alert looks like to each target, and the one POST that sends it. Alertmanager (v2 API) gets the labels,
 * annotations, startsAt (and endsAt on a resolve) and a generatorURL to the Switchyard page that explains it; Slack a
 * line of text; the generic webhook JSON signed with HMAC-SHA256 of the exact body (`X-Switchyard-Signature:
 * sha256=<hex>`), with the event's id for receivers to drop a repeat (`X-Switchyard-Event-Id`).
 */


export type DeliverableEvent = AlertEventRow & { id: number; atMs: number };

export const alertLabels = (e: Pick<AlertEventRow, "ruleName" | "severity" | "labels">, ruleLabels: Record<string, string> = {}) => ({ ...ruleLabels, ...e.labels, alertname: e.ruleName, severity: e.severity });

export function alertmanagerAlert(e: DeliverableEvent, publicUrl: string, refreshMinutes = 5) {
  return {
    labels: alertLabels(e),
    annotations: { summary: e.summary, kind: e.kind, ...(e.value !== null ? { value: String(e.value) } : {}) },
    startsAt: new Date(e.startsAtMs).toISOString(),
    // firing: good for a few minutes, renewed every minute while it fires (Alertmanager resolves what is not renewed);
    // resolved: ends now
    endsAt: new Date(e.event === "resolved" ? e.atMs : Date.now() + refreshMinutes * 60_000).toISOString(),
    generatorURL: new URL(e.path, publicUrl).toString(),
  };
}

export function webhookBody(e: DeliverableEvent, publicUrl: string): string {
  return JSON.stringify({
    id: e.id,
    event: e.event,
    rule: e.ruleName,
    kind: e.kind,
    severity: e.severity,
    key: e.key,
    labels: alertLabels(e),
    summary: e.summary,
    value: e.value,
    startsAt: new Date(e.startsAtMs).toISOString(),
    ...(e.event === "resolved" ? { endsAt: new Date(e.atMs).toISOString() } : {}),
    url: new URL(e.path, publicUrl).toString(),
  });
}

/**
 * Slack's text: names and summaries are the watched system's (a queue called `<!channel>` would page a whole
 * channel, `<https://evil|your dashboard>` would be a link), so `&`, `<` and `>` are escaped as Slack asks; only the
 * link to Switchyard is markup.
 */
export const slackEscape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

export function slackBody(e: DeliverableEvent, publicUrl: string): string {
  const url = new URL(e.path, publicUrl).toString();
  const head = e.event === "fired" ? ":red_circle: FIRING" : ":large_green_circle: RESOLVED";
  return JSON.stringify({ text: `${head} [${e.severity}] ${slackEscape(e.ruleName)}: ${slackEscape(e.summary)} <${slackEscape(url).replace(/\|/g, "%7C")}|open in Switchyard>` });
}

export const signature = (body: string, secret: string) => `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;

async function post(url: string, body: string, headers: Record<string, string> = {}): Promise<void> {
  const r = await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body, signal: AbortSignal.timeout(10_000), redirect: "error" });
  if (!r.ok) throw new Error(`${new URL(url).host} answered ${r.status}`);
  await r.body?.cancel();
}

/** Sends one event to one target; throws on anything but a 2xx. Errors name the host, never the URL (it may hold a secret). */
export async function deliver(target: string, e: DeliverableEvent, t: AlertTargets): Promise<void> {
  if (target === "alertmanager" && t.alertmanagerUrl) return post(new URL("/api/v2/alerts", t.alertmanagerUrl).toString(), JSON.stringify([alertmanagerAlert(e, t.publicUrl)]));
  if (target === "slack" && t.slackUrl) return post(t.slackUrl, slackBody(e, t.publicUrl));
  if (target === "webhook" && t.webhookUrl && t.webhookSecret) {
    const body = webhookBody(e, t.publicUrl);
    return post(t.webhookUrl, body, { "x-switchyard-signature": signature(body, t.webhookSecret), "x-switchyard-event-id": String(e.id) });
  }
  throw new Error(`no ${target} configured`);
}

/** The firing alerts again, to Alertmanager, so it keeps them (it resolves alerts nobody renews). */
export async function renewInAlertmanager(events: DeliverableEvent[], t: AlertTargets): Promise<void> {
  if (!t.alertmanagerUrl || events.length === 0) return;
  await post(new URL("/api/v2/alerts", t.alertmanagerUrl).toString(), JSON.stringify(events.map((e) => alertmanagerAlert(e, t.publicUrl))));
}
