import { matchesAny } from "../patterns";
import type { WorkflowState } from "../workflow-states";
import { pushTo } from "../multimap";

/**
 * A workflow instance's state from its evidence: the spans of its traces (joined by parent/child, links and business
 * key) and the dead letters that carry those traces' ids. Pure: the collectors (collectors/workflows/engine.ts)
 * gather the input and store the answer.
 */

export interface WorkflowSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  service: string;
  name: string;
  /** OTLP kind: 2 server, 3 client, 4 producer, 5 consumer */
  kind: number;
  startMs: number;
  endMs: number;
  error: boolean;
  messagingSystem: string | null;
  destination: string | null;
  operation: string | null;
  messageId: string | null;
  /** the consumer group a consumer span names (kafkajs spans name none: see ConsumerGroup.clientIds) */
  consumerGroup: string | null;
  /** the spans it links to (a batch consumer linking to its producers) */
  links: { traceId: string; spanId: string }[];
}

export interface WorkflowDeadLetter {
  id: number;
  status: string;
  system: string;
  source: string;
  destination: string | null;
  reason: string | null;
  atMs: number;
}

export interface WorkflowRules {
  /** the workflow's name from its root operation: the first glob matching it gives the name */
  names: { match: string; name: string }[];
  /** span names (globs) of compensation steps: one that ran and succeeded makes the workflow compensated */
  compensations: string[];
  /** a workflow with activity more recent than this is running (ms) */
  quietMs: number;
  /** pending or running for longer than this: stuck (ms) */
  stuckAfterMs: number;
}

/** A Kafka consumer group: the topics its members are assigned and their client ids (a service's name, as a rule). */
export interface ConsumerGroup {
  group: string;
  topics: string[];
  clientIds: string[];
}

export interface WaitingOn {
  system: string;
  destination: string;
  /** the consumer group that has not processed it yet, when the topic's groups are known */
  group?: string;
  /** when the message it waits on was published */
  sinceMs: number;
}

export interface Evidence {
  atMs: number;
  text: string;
  traceId?: string;
  spanId?: string;
  deadLetterId?: number;
}

export interface DerivedWorkflow {
  state: WorkflowState;
  stuck: boolean;
  name: string;
  startedMs: number;
  lastActivityMs: number;
  waitingOn: WaitingOn | null;
  deadLetterIds: number[];
  evidence: Evidence[];
}

const PRODUCER = 4;
const CONSUMER = 5;
const SERVER = 2;
const processing = (s: WorkflowSpan) => s.kind === CONSUMER && s.operation !== "receive" && s.operation !== "settle";
const publishing = (s: WorkflowSpan) => s.kind === PRODUCER && s.operation !== "create";

/** The name of a workflow whose root operation is `root`: the first matching rule, else the operation itself. */
export function workflowName(root: string, rules: WorkflowRules["names"]): string {
  for (const r of rules) if (matchesAny(root, [r.match])) return r.name;
  return root;
}

/** Dead letters still waiting for someone: not replayed (and processed), not discarded. */
const openDeadLetter = (d: WorkflowDeadLetter) => d.status === "new" || d.status === "replaying" || d.status === "failed_again";

export function deriveWorkflow(spans: readonly WorkflowSpan[], deadLetters: readonly WorkflowDeadLetter[], rules: WorkflowRules, nowMs: number, groups: readonly ConsumerGroup[] = []): DerivedWorkflow {
  const sorted = [...spans].sort((a, b) => a.startMs - b.startMs || a.endMs - b.endMs);
  const ids = new Set(sorted.map((s) => `${s.traceId}:${s.spanId}`));
  const roots = sorted.filter((s) => !s.parentSpanId || !ids.has(`${s.traceId}:${s.parentSpanId}`));
  const first = roots.find((s) => s.kind === SERVER || s.kind === PRODUCER) ?? roots[0] ?? sorted[0];
  // a root that is a client's call (a load generator, a browser) is named by the operation that answered it
  const root = first && first.kind === 3 ? (sorted.find((s) => s.kind === SERVER && s.parentSpanId === first.spanId && s.traceId === first.traceId) ?? first) : first;
  const startedMs = Math.min(sorted[0]?.startMs ?? nowMs, ...deadLetters.map((d) => d.atMs));
  const lastActivityMs = Math.max(...sorted.map((s) => s.endMs), ...deadLetters.map((d) => d.atMs), startedMs);
  const evidence: Evidence[] = [];
  const say = (e: Evidence) => evidence.length < 50 && evidence.push(e);

  // dead-lettered: a message of it sits in a DLQ or DLT
  const open = deadLetters.filter(openDeadLetter);
  const base = { name: root ? workflowName(root.name, rules.names) : "unknown", startedMs, lastActivityMs, deadLetterIds: deadLetters.map((d) => d.id) };
  const done = (state: WorkflowState, waitingOn: WaitingOn | null = null): DerivedWorkflow => {
    const stuck = (state === "pending" || state === "running") && nowMs - Math.max(startedMs, waitingOn?.sinceMs ?? startedMs) > rules.stuckAfterMs;
    if (stuck) say({ atMs: nowMs, text: `${state} for ${Math.round((nowMs - startedMs) / 60_000)} min: stuck (over ${Math.round(rules.stuckAfterMs / 60_000)} min)` });
    return { ...base, state, stuck, waitingOn, evidence };
  };
  if (open.length) {
    for (const d of open) say({ atMs: d.atMs, text: `dead-lettered into ${d.source}${d.reason ? ` (${d.reason})` : ""}${d.status === "failed_again" ? ", failed again after a replay" : ""}`, deadLetterId: d.id });
    return done("dead_lettered");
  }
  for (const d of deadLetters) say({ atMs: d.atMs, text: `dead letter in ${d.source} is ${d.status}`, deadLetterId: d.id });

  // compensated: a compensation step ran and succeeded
  const compensation = sorted.find((s) => !s.error && rules.compensations.length && matchesAny(s.name, rules.compensations));
  if (compensation) {
    say({ atMs: compensation.startMs, text: `compensation ${compensation.name} ran in ${compensation.service}`, traceId: compensation.traceId, spanId: compensation.spanId });
    return done("compensated");
  }

  // failed: an error in a step (service and operation) that no later success of the same step made good
  const lastOf = new Map<string, WorkflowSpan>();
  for (const s of sorted) if (s.kind === SERVER || s.kind === CONSUMER || !s.parentSpanId) lastOf.set(`${s.service}\u0000${s.name}`, s);
  const failing = [...lastOf.values()].filter((s) => s.error);
  // retrying: the same message processed again after it failed
  const tries = new Map<string, WorkflowSpan[]>();
  for (const s of sorted) if (processing(s) && s.messageId) pushTo(tries, `${s.service}\u0000${s.destination}\u0000${s.messageId}`, s);
  const retried = [...tries.values()].filter((t) => t.length > 1 && t.slice(0, -1).some((x) => x.error));
  for (const t of retried) say({ atMs: t[t.length - 1]!.startMs, text: `${t[0]!.service} processed message ${t[0]!.messageId} ${t.length} times after failures`, traceId: t[t.length - 1]!.traceId, spanId: t[t.length - 1]!.spanId });
  const recent = nowMs - lastActivityMs < rules.quietMs;
  if (failing.length) {
    const f = failing[failing.length - 1]!;
    const again = retried.some((t) => t[t.length - 1] === f);
    say({ atMs: f.startMs, text: `${f.service} ${f.name} failed`, traceId: f.traceId, spanId: f.spanId });
    // a message failing again and again while it is still being retried is retrying, not yet failed
    return done(again && recent ? "retrying" : "failed");
  }

  // pending: a message was published and a consumer has not processed it yet: on Kafka each group that reads the
  // topic (a message every other group has processed still waits in a slow group's lag), elsewhere any consumer
  const groupOf = (s: WorkflowSpan): string => {
    if (s.consumerGroup) return s.consumerGroup;
    const mine = groups.filter((g) => g.topics.includes(s.destination ?? "") && g.clientIds.some((c) => c === s.service || c.startsWith(`${s.service}-`)));
    return mine.length === 1 ? mine[0]!.group : `service:${s.service}`;
  };
  const processedBy = new Map<string, Set<string>>();
  const mark = (k: string, who: string) => {
    const set = processedBy.get(k) ?? new Set<string>();
    set.add(who);
    processedBy.set(k, set);
  };
  for (const s of sorted) {
    if (!processing(s)) continue;
    const who = groupOf(s);
    if (s.parentSpanId) mark(`${s.traceId}:${s.parentSpanId}`, who);
    for (const l of s.links) mark(`${l.traceId}:${l.spanId}`, who);
    if (s.messageId) mark(`msg:${s.destination}:${s.messageId}`, who);
  }
  let waitingOn: WaitingOn | null = null;
  for (const p of sorted) {
    if (!publishing(p) || !p.destination) continue;
    const by = new Set([...(processedBy.get(`${p.traceId}:${p.spanId}`) ?? []), ...(p.messageId ? (processedBy.get(`msg:${p.destination}:${p.messageId}`) ?? []) : [])]);
    const readers = p.messagingSystem === "kafka" ? groups.filter((g) => g.topics.includes(p.destination!)).map((g) => g.group) : [];
    const missing = readers.length ? readers.find((g) => !by.has(g)) : by.size === 0 ? "" : undefined;
    if (missing === undefined) continue;
    say({ atMs: p.startMs, text: `${p.service} published to ${p.destination}; ${missing ? `consumer group ${missing} has` : "no consumer has"} not processed it yet`, traceId: p.traceId, spanId: p.spanId });
    waitingOn = { system: p.messagingSystem ?? "messaging", destination: p.destination, ...(missing ? { group: missing } : {}), sinceMs: p.endMs };
    break;
  }
  if (waitingOn) return done("pending", waitingOn);
  if (retried.length && recent) return done("retrying");
  if (recent) return done("running");
  return done("completed");
}
