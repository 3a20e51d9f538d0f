/**
 * What the workflow engine learns from spans as they arrive (the OTLP receiver calls this on each export): the
 * business keys each trace carries (WORKFLOW_KEYS attributes), the traces each span links to, and every trace seen
 * (a workflow holding one of them has new evidence).
 */

export interface KeyedSpan {
  traceId: string;
  attributes: Record<string, unknown>;
  links: { traceId: string; spanId: string }[];
}

export interface WorkflowObservation {
  /** trace → key value → the attribute it was found under */
  keys: { traceId: string; key: string; keyName: string }[];
  /** a trace whose spans link to another trace */
  links: { traceId: string; linkedTraceId: string }[];
  traces: string[];
}

/** Key values are cut to this (they are a unique index's key). */
export const MAX_KEY_CHARS = 200;

export const noWorkflowObservation: WorkflowObservation = { keys: [], links: [], traces: [] };

export function observeWorkflowSpans(spans: readonly KeyedSpan[], keyNames: readonly string[]): WorkflowObservation {
  const keys = new Map<string, { traceId: string; key: string; keyName: string }>();
  const links = new Map<string, { traceId: string; linkedTraceId: string }>();
  const traces = new Set<string>();
  for (const s of spans) {
    traces.add(s.traceId);
    for (const name of keyNames) {
      const v = s.attributes[name];
      if (v === undefined || v === null || v === "" || typeof v === "object") continue;
      let key = String(v);
      if (key.length > MAX_KEY_CHARS) key = key.slice(0, MAX_KEY_CHARS);
      const k = `${s.traceId}\u0000${key}`;
      if (!keys.has(k)) keys.set(k, { traceId: s.traceId, key, keyName: name });
    }
    for (const l of s.links) {
      if (l.traceId.length !== 32 || l.traceId === s.traceId) continue;
      const k = `${s.traceId}\u0000${l.traceId}`;
      if (!links.has(k)) links.set(k, { traceId: s.traceId, linkedTraceId: l.traceId });
    }
  }
  return { keys: [...keys.values()], links: [...links.values()], traces: [...traces] };
}
