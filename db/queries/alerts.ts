import { sql } from "drizzle-orm";
import type { Db } from "../client";
import type { AlertRuleInput } from "../../lib/alerts/rules";
import type { AlertState, InstanceState } from "../../lib/alerts/evaluate";
import type { GroupStatus } from "../../lib/kafka/group-health";

export interface AlertRuleRow extends AlertRuleInput {
  id: number;
  origin: "file" | "api";
  createdBy: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** A rule as its audit entries record it: what it is, without its bookkeeping. */
export function ruleDetails(r: AlertRuleRow): AlertRuleInput {
  const { id: _i, origin: _o, createdBy: _c, createdAt: _ca, updatedAt: _u, ...rule } = r;
  return rule;
}

type RawRule = {
  id: string;
  name: string;
  kind: AlertRuleInput["kind"];
  scope: AlertRuleInput["scope"];
  threshold: number | null;
  for_minutes: number | null;
  window_minutes: number | null;
  status: AlertRuleInput["status"] | null;
  severity: AlertRuleInput["severity"];
  labels: Record<string, string>;
  origin: "file" | "api";
  created_by: string | null;
  created_at: Date;
  updated_at: Date;
};

const toRule = (x: RawRule): AlertRuleRow => ({
  id: Number(x.id),
  name: x.name,
  kind: x.kind,
  scope: x.scope ?? {},
  ...(x.threshold !== null ? { threshold: Number(x.threshold) } : {}),
  ...(x.for_minutes !== null ? { forMinutes: Number(x.for_minutes) } : {}),
  ...(x.window_minutes !== null ? { windowMinutes: Number(x.window_minutes) } : {}),
  ...(x.status ? { status: x.status } : {}),
  severity: x.severity,
  labels: x.labels ?? {},
  origin: x.origin,
  createdBy: x.created_by,
  createdAt: new Date(x.created_at),
  updatedAt: new Date(x.updated_at),
});

export async function listAlertRules(db: Pick<Db, "execute">): Promise<AlertRuleRow[]> {
  const r = await db.execute<RawRule>(sql`select id::text as id, name, kind, scope, threshold, for_minutes, window_minutes, status, severity, labels, origin, created_by, created_at, updated_at from alert_rules order by name`);
  return r.rows.map(toRule);
}

export async function getAlertRule(db: Pick<Db, "execute">, id: number): Promise<AlertRuleRow | null> {
  const r = await db.execute<RawRule>(sql`select id::text as id, name, kind, scope, threshold, for_minutes, window_minutes, status, severity, labels, origin, created_by, created_at, updated_at from alert_rules where id = ${id}`);
  return r.rows[0] ? toRule(r.rows[0]) : null;
}

const values = (r: AlertRuleInput) => ({
  scope: JSON.stringify(r.scope ?? {}),
  labels: JSON.stringify(r.labels ?? {}),
  threshold: r.threshold ?? null,
  forMinutes: r.forMinutes ?? null,
  windowMinutes: r.windowMinutes ?? null,
  status: r.status ?? null,
});

export async function insertAlertRule(db: Pick<Db, "execute">, r: AlertRuleInput, origin: "file" | "api", by: string | null): Promise<AlertRuleRow | null> {
  const v = values(r);
  const x = await db.execute<RawRule>(sql`
    insert into alert_rules (name, kind, scope, threshold, for_minutes, window_minutes, status, severity, labels, origin, created_by)
    values (${r.name}, ${r.kind}, ${v.scope}::jsonb, ${v.threshold}, ${v.forMinutes}, ${v.windowMinutes}, ${v.status}, ${r.severity}, ${v.labels}::jsonb, ${origin}, ${by})
    on conflict (name) do nothing
    returning id::text as id, name, kind, scope, threshold, for_minutes, window_minutes, status, severity, labels, origin, created_by, created_at, updated_at`);
  return x.rows[0] ? toRule(x.rows[0]) : null;
}

export async function updateAlertRule(db: Pick<Db, "execute">, id: number, r: AlertRuleInput): Promise<AlertRuleRow | null> {
  const v = values(r);
  const x = await db.execute<RawRule>(sql`
    update alert_rules set name = ${r.name}, kind = ${r.kind}, scope = ${v.scope}::jsonb, threshold = ${v.threshold}, for_minutes = ${v.forMinutes},
      window_minutes = ${v.windowMinutes}, status = ${v.status}, severity = ${r.severity}, labels = ${v.labels}::jsonb, updated_at = now()
    where id = ${id}
    returning id::text as id, name, kind, scope, threshold, for_minutes, window_minutes, status, severity, labels, origin, created_by, created_at, updated_at`);
  return x.rows[0] ? toRule(x.rows[0]) : null;
}

/**
 * Resolves what a rule fires, as it fired (its name, severity and labels then), with a delivery per target, and
 * forgets its instances: for a rule deleted, or changed so that its alerts would be other alerts (Alertmanager knows
 * an alert by its labels, the rule's name among them). The next evaluation starts the changed rule afresh.
 */
export async function resolveRuleAlerts(db: Pick<Db, "execute">, rule: AlertRuleRow, targets: readonly string[], note: string): Promise<number> {
  const resolved = await db.execute<{ id: string }>(sql`
    insert into alert_events (rule_id, rule_name, kind, severity, key, event, starts_at, value, labels, summary, path)
    select s.rule_id, ${rule.name}, ${rule.kind}, ${rule.severity}, s.key, 'resolved', coalesce(s.fired_at, s.active_since, now()), s.value, s.labels, s.summary || ${` (${note})`}, s.path
    from alert_states s where s.rule_id = ${rule.id} and s.state = 'firing'
    returning id::text as id`);
  const ids = resolved.rows.map((e) => Number(e.id));
  if (ids.length && targets.length)
    await db.execute(sql`insert into alert_deliveries (event_id, target) select e, t from unnest(${sql.param(ids)}::bigint[]) e cross join unnest(${sql.param([...targets])}::text[]) t`);
  await db.execute(sql`delete from alert_states where rule_id = ${rule.id}`);
  return ids.length;
}

export async function deleteAlertRule(db: Pick<Db, "execute">, id: number): Promise<AlertRuleRow | null> {
  const x = await db.execute<RawRule>(sql`
    delete from alert_rules where id = ${id}
    returning id::text as id, name, kind, scope, threshold, for_minutes, window_minutes, status, severity, labels, origin, created_by, created_at, updated_at`);
  return x.rows[0] ? toRule(x.rows[0]) : null;
}

/**
 * The rules file's rules replace the file's rules of the last start, in one transaction: a rule of the same name
 * keeps its id (and so its firing state); one gone from the file goes. A rule made on the page with a file rule's
 * name is left as it is, and the file's is not loaded (the caller says so).
 */
export async function syncFileRules(db: Db, rules: AlertRuleInput[]): Promise<{ skipped: string[] }> {
  return db.transaction(async (tx) => {
    const api = await tx.execute<{ name: string }>(sql`select name from alert_rules where origin = 'api'`);
    const taken = new Set(api.rows.map((x) => x.name));
    const skipped = rules.filter((r) => taken.has(r.name)).map((r) => r.name);
    const keep = rules.filter((r) => !taken.has(r.name));
    await tx.execute(sql`delete from alert_rules where origin = 'file' and not (name = any(${sql.param(keep.map((r) => r.name))}::text[]))`);
    for (const r of keep) {
      const v = values(r);
      await tx.execute(sql`
        insert into alert_rules (name, kind, scope, threshold, for_minutes, window_minutes, status, severity, labels, origin, created_by)
        values (${r.name}, ${r.kind}, ${v.scope}::jsonb, ${v.threshold}, ${v.forMinutes}, ${v.windowMinutes}, ${v.status}, ${r.severity}, ${v.labels}::jsonb, 'file', null)
        on conflict (name) do update set kind = excluded.kind, scope = excluded.scope, threshold = excluded.threshold, for_minutes = excluded.for_minutes,
          window_minutes = excluded.window_minutes, status = excluded.status, severity = excluded.severity, labels = excluded.labels, updated_at = now()
        where alert_rules.origin = 'file'`);
    }
    return { skipped };
  });
}

// ---- state ----

export interface StoredInstance extends InstanceState {
  ruleId: number;
  key: string;
  value: number | null;
  labels: Record<string, string>;
  summary: string;
  path: string;
}

export async function loadAlertStates(db: Pick<Db, "execute">): Promise<StoredInstance[]> {
  const r = await db.execute<{ rule_id: string; key: string; state: AlertState; active_since: Date | null; fired_at: Date | null; resolved_at: Date | null; value: number | null; labels: Record<string, string>; summary: string; path: string }>(sql`
    select rule_id::text as rule_id, key, state, active_since, fired_at, resolved_at, value, labels, summary, path from alert_states`);
  const ms = (d: Date | null) => (d ? new Date(d).getTime() : null);
  return r.rows.map((x) => ({ ruleId: Number(x.rule_id), key: x.key, state: x.state, activeSinceMs: ms(x.active_since), firedAtMs: ms(x.fired_at), resolvedAtMs: ms(x.resolved_at), value: x.value === null ? null : Number(x.value), labels: x.labels, summary: x.summary, path: x.path }));
}

export interface AlertEventRow {
  ruleId: number;
  ruleName: string;
  kind: string;
  severity: string;
  key: string;
  event: "fired" | "resolved";
  startsAtMs: number;
  value: number | null;
  labels: Record<string, string>;
  summary: string;
  path: string;
}

/**
 * One evaluation's outcome in one transaction: the instances' states (upserted; gone ones deleted), the fired and
 * resolved events, and a delivery per event and target. A crash before it commits repeats the evaluation; after,
 * nothing fires twice.
 */
export async function saveEvaluation(
  db: Db,
  upserts: StoredInstance[],
  deletes: { ruleId: number; key: string }[],
  events: AlertEventRow[],
  targets: readonly string[],
  /** each rule's updatedAt as the evaluation read it: a rule changed (or deleted) since is left to the next one */
  seen: ReadonlyMap<number, Date>,
): Promise<void> {
  await db.transaction(async (tx) => {
    // the rules' rows are shared-locked, so a change on the page waits for this write or this write sees the change;
    // what was evaluated against a rule as it was before is dropped (the change has resolved and forgotten its alerts)
    const ids = [...new Set([...upserts, ...deletes, ...events].map((x) => x.ruleId))];
    if (!ids.length) return;
    const now = await tx.execute<{ id: string; u: number }>(sql`
      select id::text as id, round(extract(epoch from date_trunc('milliseconds', updated_at)) * 1000)::float8 as u from alert_rules where id = any(${sql.param(ids)}::bigint[]) for share`);
    const current = new Set(now.rows.filter((r) => seen.get(Number(r.id))?.getTime() === Number(r.u)).map((r) => Number(r.id)));
    upserts = upserts.filter((u) => current.has(u.ruleId));
    deletes = deletes.filter((d) => current.has(d.ruleId));
    events = events.filter((e) => current.has(e.ruleId));
    if (deletes.length) {
      await tx.execute(sql`
        delete from alert_states s using unnest(${sql.param(deletes.map((d) => d.ruleId))}::bigint[], ${sql.param(deletes.map((d) => d.key))}::text[]) as x(r, k)
        where s.rule_id = x.r and s.key = x.k`);
    }
    if (upserts.length) {
      const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
      const json = JSON.stringify(upserts.map((u) => ({ rule_id: u.ruleId, key: u.key, state: u.state, active_since: iso(u.activeSinceMs), fired_at: iso(u.firedAtMs), resolved_at: iso(u.resolvedAtMs), value: u.value, labels: u.labels, summary: u.summary, path: u.path })));
      await tx.execute(sql`
        insert into alert_states (rule_id, key, state, active_since, fired_at, resolved_at, value, labels, summary, path, updated_at)
        select x.rule_id, x.key, x.state, x.active_since, x.fired_at, x.resolved_at, x.value, x.labels, x.summary, x.path, now()
        from jsonb_to_recordset(${json}::jsonb) as x(rule_id bigint, key text, state text, active_since timestamptz, fired_at timestamptz, resolved_at timestamptz, value float8, labels jsonb, summary text, path text)
        where exists (select 1 from alert_rules r where r.id = x.rule_id)
        on conflict (rule_id, key) do update set state = excluded.state, active_since = excluded.active_since, fired_at = excluded.fired_at,
          resolved_at = excluded.resolved_at, value = excluded.value, labels = excluded.labels, summary = excluded.summary, path = excluded.path, updated_at = now()`);
    }
    for (const e of events) {
      const r = await tx.execute<{ id: string }>(sql`
        insert into alert_events (rule_id, rule_name, kind, severity, key, event, starts_at, value, labels, summary, path)
        values (${e.ruleId}, ${e.ruleName}, ${e.kind}, ${e.severity}, ${e.key}, ${e.event}, ${new Date(e.startsAtMs).toISOString()}::timestamptz, ${e.value}, ${JSON.stringify(e.labels)}::jsonb, ${e.summary}, ${e.path})
        returning id::text as id`);
      for (const t of targets) await tx.execute(sql`insert into alert_deliveries (event_id, target) values (${Number(r.rows[0]!.id)}, ${t})`);
    }
  });
}

export interface DueDelivery {
  id: number;
  target: string;
  attempts: number;
  event: AlertEventRow & { id: number; atMs: number };
}

/** Deliveries due now (oldest first), each with its event. */
export async function dueDeliveries(db: Pick<Db, "execute">, target: string, limit = 100): Promise<DueDelivery[]> {
  const r = await db.execute<{ id: string; target: string; attempts: number; event_id: string; rule_id: string | null; rule_name: string; kind: string; severity: string; key: string; event: "fired" | "resolved"; at: Date; starts_at: Date; value: number | null; labels: Record<string, string>; summary: string; path: string }>(sql`
    select d.id::text as id, d.target, d.attempts, e.id::text as event_id, e.rule_id::text as rule_id, e.rule_name, e.kind, e.severity, e.key, e.event, e.at, e.starts_at, e.value, e.labels, e.summary, e.path
    from alert_deliveries d join alert_events e on e.id = d.event_id
    where d.target = ${target} and d.delivered_at is null and d.next_at <= now()
      -- in order per alert and target: an event waits while an earlier one of the same alert has not reached the target
      and not exists (
        select 1 from alert_deliveries d2 join alert_events e2 on e2.id = d2.event_id
        where d2.target = d.target and d2.delivered_at is null and d2.id < d.id and e2.rule_name = e.rule_name and e2.key = e.key)
    order by d.id limit ${limit}`);
  return r.rows.map((x) => ({
    id: Number(x.id),
    target: x.target,
    attempts: Number(x.attempts),
    event: { id: Number(x.event_id), ruleId: Number(x.rule_id ?? 0), ruleName: x.rule_name, kind: x.kind, severity: x.severity, key: x.key, event: x.event, atMs: new Date(x.at).getTime(), startsAtMs: new Date(x.starts_at).getTime(), value: x.value, labels: x.labels, summary: x.summary, path: x.path },
  }));
}

export async function markDelivered(db: Pick<Db, "execute">, id: number): Promise<void> {
  await db.execute(sql`update alert_deliveries set delivered_at = now(), attempts = attempts + 1, last_error = null where id = ${id}`);
}

/** A failed attempt: tried again after `delayMs`, or given up (after a day of tries) with the last error kept. */
export async function markFailed(db: Pick<Db, "execute">, id: number, error: string, delayMs: number, giveUp: boolean): Promise<void> {
  await db.execute(sql`
    update alert_deliveries set attempts = attempts + 1, last_error = left(${error}, 2000),
      next_at = now() + make_interval(secs => ${delayMs / 1000}), delivered_at = ${giveUp ? sql`now()` : sql`null`}
    where id = ${id}`);
}

// ---- what the rules watch ----

export async function alertGroupObservations(db: Pick<Db, "execute">, inactiveAfterMs: number): Promise<{ cluster: string; group: string; status: GroupStatus; maxLagSeconds: number | null; totalLag: number | null; inactive: boolean }[]> {
  const r = await db.execute<{ cluster: string; group_id: string; status: GroupStatus; max_lag_seconds: number | null; total_lag: string | null; inactive: boolean }>(sql`
    select cluster, group_id, status, max_lag_seconds, total_lag::text as total_lag,
      coalesce(empty_since < now() - make_interval(secs => ${inactiveAfterMs / 1000}), false) as inactive
    from kafka_group_status`);
  return r.rows.map((x) => ({ cluster: x.cluster, group: x.group_id, status: x.status, maxLagSeconds: x.max_lag_seconds === null ? null : Number(x.max_lag_seconds), totalLag: x.total_lag === null ? null : Number(x.total_lag), inactive: x.inactive }));
}

/** Capture times of the dead letters of the last `minutes` (at most 10,000 per source), per source. */
export async function alertDeadLetterObservations(db: Pick<Db, "execute">, minutes: number): Promise<{ system: string; sourceName: string; vhost: string | null; source: string; capturedMs: number[] }[]> {
  const r = await db.execute<{ system: string; source_name: string; vhost: string | null; source: string; at: number[] }>(sql`
    select system, source_name, vhost, source, (array_agg((extract(epoch from captured_at) * 1000)::float8 order by captured_at desc))[1:10000] as at
    from dead_letters where captured_at > now() - make_interval(mins => ${minutes}) group by 1, 2, 3, 4`);
  return r.rows.map((x) => ({ system: x.system, sourceName: x.source_name, vhost: x.vhost, source: x.source, capturedMs: (x.at ?? []).map(Number) }));
}

/** The same per failure group, with the group's destination, root exception type and reason. */
export async function alertFailureGroupObservations(db: Pick<Db, "execute">, minutes: number): Promise<{ failureGroup: string; destination: string | null; failureType: string | null; reason: string | null; capturedMs: number[] }[]> {
  const r = await db.execute<{ failure_group: string; destination: string | null; failure_type: string | null; reason: string | null; at: number[] }>(sql`
    select failure_group, (array_agg(original_destination))[1] as destination, (array_agg(failure_type))[1] as failure_type, (array_agg(reason))[1] as reason,
      (array_agg((extract(epoch from captured_at) * 1000)::float8 order by captured_at desc))[1:10000] as at
    from dead_letters where captured_at > now() - make_interval(mins => ${minutes}) and failure_group is not null group by 1`);
  return r.rows.map((x) => ({ failureGroup: x.failure_group, destination: x.destination, failureType: x.failure_type, reason: x.reason, capturedMs: (x.at ?? []).map(Number) }));
}

export async function alertSourceObservations(db: Pick<Db, "execute">): Promise<{ system: string; name: string; healthy: boolean; error: string | null }[]> {
  const r = await db.execute<{ system: string; name: string; healthy: boolean; error: string | null }>(sql`select system, name, healthy, error from source_health`);
  return r.rows;
}

// ---- the dashboard's reads ----

export async function firingAlerts(db: Pick<Db, "execute">): Promise<(StoredInstance & { ruleName: string; severity: string; kind: string })[]> {
  const r = await db.execute<{ rule_id: string; rule_name: string; severity: string; kind: string; key: string; state: AlertState; active_since: Date | null; fired_at: Date | null; value: number | null; labels: Record<string, string>; summary: string; path: string }>(sql`
    select s.rule_id::text as rule_id, r.name as rule_name, r.severity, r.kind, s.key, s.state, s.active_since, s.fired_at, s.value, s.labels, s.summary, s.path
    from alert_states s join alert_rules r on r.id = s.rule_id where s.state = 'firing' order by s.fired_at desc`);
  return r.rows.map((x) => ({ ruleId: Number(x.rule_id), ruleName: x.rule_name, severity: x.severity, kind: x.kind, key: x.key, state: x.state, activeSinceMs: x.active_since ? new Date(x.active_since).getTime() : null, firedAtMs: x.fired_at ? new Date(x.fired_at).getTime() : null, resolvedAtMs: null, value: x.value, labels: x.labels, summary: x.summary, path: x.path }));
}

export async function alertHistory(db: Pick<Db, "execute">, limit: number, beforeId: number | null): Promise<{ id: number; ruleId: number | null; ruleName: string; kind: string; severity: string; key: string; event: string; at: Date; startsAt: Date; value: number | null; labels: Record<string, string>; summary: string; path: string }[]> {
  const r = await db.execute<{ id: string; rule_id: string | null; rule_name: string; kind: string; severity: string; key: string; event: string; at: Date; starts_at: Date; value: number | null; labels: Record<string, string>; summary: string; path: string }>(sql`
    select id::text as id, rule_id::text as rule_id, rule_name, kind, severity, key, event, at, starts_at, value, labels, summary, path from alert_events
    where ${beforeId === null ? sql`true` : sql`id < ${beforeId}`} order by alert_events.id desc limit ${limit}`);
  return r.rows.map((x) => ({ id: Number(x.id), ruleId: x.rule_id === null ? null : Number(x.rule_id), ruleName: x.rule_name, kind: x.kind, severity: x.severity, key: x.key, event: x.event, at: new Date(x.at), startsAt: new Date(x.starts_at), value: x.value, labels: x.labels, summary: x.summary, path: x.path }));
}
