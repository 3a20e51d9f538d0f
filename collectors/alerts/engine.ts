import { readFile } from "node:fs/promises";
import type { Db } from "../../db/client";
import {
  alertDeadLetterObservations,
  alertFailureGroupObservations,
  alertGroupObservations,
  alertSourceObservations,
  dueDeliveries,
  listAlertRules,
  loadAlertStates,
  markDelivered,
  markFailed,
  saveEvaluation,
  syncFileRules,
  type AlertEventRow,
  type AlertRuleRow,
  type StoredInstance,
} from "../../db/queries/alerts";
import { stuckWorkflowsByName } from "../../db/queries/attention";
import { evaluateRule, nextState, type AlertObservations } from "../../lib/alerts/evaluate";
import { effectiveRule, parseRulesFile, type AlertRuleInput } from "../../lib/alerts/rules";
import { backoffDelay } from "../../lib/backoff";
import { errorMessage } from "../../lib/errors";
import { configuredTargets, type AlertTargets } from "../../lib/alerts/targets";
import { deliver, renewInAlertmanager } from "./delivery";

/**
 * Evaluates the alert rules in the collectors after each poll (`polled`) and every `intervalMs` besides, keeps
 * each instance's state in Postgres (so a restart neither fires again what fires nor loses a resolve), writes fired
 * and resolved events with a delivery per target in the same transaction, and delivers them with backoff until each
 * target has taken it (a day of tries at most). Firing alerts are renewed in Alertmanager every minute.
 */
export class AlertEngine {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  /** each target's delivery round, on its own: a target that hangs for its timeout holds up no other */
  private readonly delivering = new Map<string, Promise<void>>();
  private lastRenew = 0;
  private failing = false;
  private readonly targets: string[];

  constructor(
    private readonly db: Db,
    private readonly opts: { intervalMs: number; inactiveAfterMs: number; rulesFile?: string; targets: AlertTargets; otlpLastRefusalMs: () => number | null },
    private readonly log: (s: string) => void,
  ) {
    this.targets = configuredTargets(opts.targets);
  }

  /** The rules file's rules (if one is set), validated: its errors name the rule and field. */
  static async readRulesFile(file: string | undefined): Promise<{ rules: AlertRuleInput[]; errors: string[] }> {
    if (!file) return { rules: [], errors: [] };
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (e) {
      return { rules: [], errors: [`${file}: cannot be read: ${errorMessage(e)}`] };
    }
    return parseRulesFile(text, file);
  }

  /** Puts the file's rules (read and validated at start) into Postgres, in place of those of the last start. */
  async loadRules(rules: AlertRuleInput[]): Promise<void> {
    if (!this.opts.rulesFile) return;
    const { skipped } = await syncFileRules(this.db, rules);
    this.log(`[alerts] ${rules.length - skipped.length} rules loaded from ${this.opts.rulesFile}${skipped.length ? `; ${skipped.join(", ")} left as made on the Alerts page` : ""}`);
  }

  start(): this {
    this.timer = setInterval(() => void this.tick(), this.opts.intervalMs);
    this.timer.unref();
    void this.tick();
    return this;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.again = false;
    await this.running;
    await Promise.all(this.delivering.values());
  }

  /**
   * A poll has written what it saw: evaluate now (the interval is the fallback). During an evaluation, one more
   * follows it, so what the poll wrote is never left for the next interval.
   */
  polled(): void {
    if (!this.timer) return;
    if (this.running) this.again = true;
    else void this.tick();
  }

  tick(): Promise<void> {
    this.running ??= (async () => {
      try {
        await this.evaluate();
        if (this.failing) this.log("[alerts] evaluating again");
        this.failing = false;
      } catch (e) {
        if (!this.failing) this.log(`[alerts] not evaluated, trying again: ${errorMessage(e)}`);
        this.failing = true;
      }
      // delivery runs beside evaluation, each target on its own: a target that hangs for its timeout holds up
      // neither the rules nor the other targets
      for (const target of this.targets) {
        if (this.delivering.has(target)) continue;
        const round = this.deliverDue(target)
          .catch((e: unknown) => this.log(`[alerts] deliveries to ${target} not read, trying again: ${errorMessage(e)}`))
          .finally(() => this.delivering.delete(target));
        this.delivering.set(target, round);
      }
    })().finally(() => {
      this.running = null;
      if (this.again && this.timer) {
        this.again = false;
        void this.tick();
      }
    });
    return this.running;
  }

  async evaluate(nowMs = Date.now()): Promise<void> {
    const rules = await listAlertRules(this.db);
    if (!rules.length) return;
    const window = Math.max(10, ...rules.map((r) => effectiveRule(r).windowMinutes));
    const byGroup = rules.some((r) => r.kind === "dead_letters_growth" && r.scope.failureGroup !== undefined);
    const [groups, deadLetters, deadLetterGroups, stuckWorkflows, sources, states] = await Promise.all([
      alertGroupObservations(this.db, this.opts.inactiveAfterMs),
      alertDeadLetterObservations(this.db, window),
      byGroup ? alertFailureGroupObservations(this.db, window) : Promise.resolve([]),
      stuckWorkflowsByName(this.db),
      alertSourceObservations(this.db),
      loadAlertStates(this.db),
    ]);
    const o: AlertObservations = { nowMs, groups, deadLetters, deadLetterGroups, stuckWorkflows, sources, otlpLastRefusalMs: this.opts.otlpLastRefusalMs() };
    const prev = new Map(states.map((s) => [`${s.ruleId}\u0000${s.key}`, s]));
    const upserts: StoredInstance[] = [];
    const deletes: { ruleId: number; key: string }[] = [];
    const events: AlertEventRow[] = [];
    const seen = new Set<string>();
    for (const rule of rules) {
      const r = effectiveRule(rule);
      for (const inst of evaluateRule(rule, o)) {
        const k = `${rule.id}\u0000${inst.key}`;
        seen.add(k);
        const before = prev.get(k) ?? null;
        const { state, event } = nextState(before, inst.active, nowMs, r.forMinutes);
        // an alert keeps the labels it fired with until it resolves: they are its identity in Alertmanager
        const labels = before && before.state === "firing" ? before.labels : { ...(rule.labels ?? {}), ...inst.labels };
        if (state === null) {
          if (before) deletes.push({ ruleId: rule.id, key: inst.key });
        } else if (event || !before || before.state !== state.state || before.value !== inst.value || before.summary !== inst.summary) {
          upserts.push({ ...state, ruleId: rule.id, key: inst.key, value: inst.value, labels, summary: inst.summary, path: inst.path });
        }
        if (event) events.push(this.eventOf(rule, inst.key, event, state!, inst.value, labels, inst.summary, inst.path));
      }
    }
    // what a rule no longer sees (a group deleted, a scope changed) resolves if it fired, and is forgotten
    for (const s of states) {
      const k = `${s.ruleId}\u0000${s.key}`;
      if (seen.has(k)) continue;
      const rule = rules.find((x) => x.id === s.ruleId);
      if (!rule) continue;
      const { state, event } = nextState(s, false, nowMs, 0);
      if (event && state) {
        upserts.push({ ...s, ...state });
        events.push(this.eventOf(rule, s.key, event, state, s.value, s.labels, `${s.summary} (no longer seen)`, s.path));
      } else if (s.state !== "resolved") deletes.push({ ruleId: s.ruleId, key: s.key });
    }
    if (upserts.length || deletes.length || events.length) await saveEvaluation(this.db, upserts, deletes, events, this.targets, new Map(rules.map((r) => [r.id, r.updatedAt])));
    for (const e of events) this.log(`[alerts] ${e.event}: ${e.ruleName} ${e.key}: ${e.summary}`);
    if (nowMs - this.lastRenew >= 60_000 && this.opts.targets.alertmanagerUrl) {
      // the states as this evaluation left them (an upsert replaces what it changed; a delete ends it)
      const now = new Map(states.map((s) => [`${s.ruleId}\u0000${s.key}`, s]));
      for (const u of upserts) now.set(`${u.ruleId}\u0000${u.key}`, u);
      for (const d of deletes) now.delete(`${d.ruleId}\u0000${d.key}`);
      const byId = new Map(rules.map((r) => [r.id, r]));
      const renew = [...now.values()].flatMap((s) => {
        const rule = byId.get(s.ruleId);
        return s.state === "firing" && rule ? [{ ...this.eventOf(rule, s.key, "fired", s, s.value, s.labels, s.summary, s.path), id: 0, atMs: nowMs }] : [];
      });
      try {
        await renewInAlertmanager(renew, this.opts.targets);
        this.lastRenew = nowMs;
      } catch (e) {
        this.log(`[alerts] could not renew firing alerts in Alertmanager: ${errorMessage(e)}`);
      }
    }
  }

  private eventOf(rule: AlertRuleRow, key: string, event: "fired" | "resolved", state: { activeSinceMs: number | null; firedAtMs: number | null }, value: number | null, labels: Record<string, string>, summary: string, path: string): AlertEventRow {
    return { ruleId: rule.id, ruleName: rule.name, kind: rule.kind, severity: rule.severity, key, event, startsAtMs: state.firedAtMs ?? state.activeSinceMs ?? Date.now(), value, labels, summary, path };
  }

  /**
   * Delivers what is due to one target, in event order (dueDeliveries holds back an event while an earlier one of the
   * same alert waits for the target, so a resolve never overtakes its fire). A delivery that fails is tried again
   * with backoff, given up after a day; the target's other due deliveries wait for the next round.
   */
  async deliverDue(target: string): Promise<void> {
    for (const d of await dueDeliveries(this.db, target)) {
      try {
        await deliver(d.target, d.event, this.opts.targets);
        await markDelivered(this.db, d.id);
      } catch (e) {
        const giveUp = Date.now() - d.event.atMs > 86_400_000;
        await markFailed(this.db, d.id, errorMessage(e), backoffDelay(d.attempts), giveUp);
        if (d.attempts === 0) this.log(`[alerts] ${d.target} did not take ${d.event.event} ${d.event.ruleName} ${d.event.key}: ${errorMessage(e)}; retrying`);
        return;
      }
    }
  }
}
