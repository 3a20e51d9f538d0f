import type { SpanRecord } from "./span-record";

/**
 * Text Postgres cannot store: U+0000 (neither `text` nor `jsonb` takes it) and lone UTF-16 surrogates (`jsonb` refuses
 * their `\uD800` escapes; as text they would silently become U+FFFD). Both come from exporters: NUL in any OTLP string,
 * lone surrogates from OTLP/JSON escapes and from bytes that were not UTF-8 (see decode.ts, INVALID_UTF8).
 * Each is replaced by U+FFFD, and a span any of whose text was replaced, its resource's included, is marked with the
 * attribute `switchyard.sanitized: true`, so what is shown is known not to be exactly what was sent.
 */
export const SANITIZED_ATTRIBUTE = "switchyard.sanitized";

// with the u flag a surrogate pair is one code point, outside the class: only lone surrogates match
const unstorable = /[\u0000\uD800-\uDFFF]/u;
const unstorableAll = /[\u0000\uD800-\uDFFF]/gu;

export const isStorableText = (s: string) => !unstorable.test(s);
export const storableText = (s: string) => (unstorable.test(s) ? s.replace(unstorableAll, "\uFFFD") : s);

/** A JSON value (attributes as flattened) with every key and string storable; the same object when nothing changed. */
function storableJson(v: unknown, changed: { any: boolean }): unknown {
  if (typeof v === "string") {
    if (!unstorable.test(v)) return v;
    changed.any = true;
    return v.replace(unstorableAll, "\uFFFD");
  }
  if (Array.isArray(v)) {
    let out: unknown[] | null = null;
    for (let i = 0; i < v.length; i++) {
      const x = storableJson(v[i], changed);
      if (x !== v[i]) (out ??= v.slice())[i] = x;
    }
    return out ?? v;
  }
  if (v && typeof v === "object") {
    let dirty = false;
    const entries = Object.entries(v).map(([k, x]) => {
      const k2 = unstorable.test(k) ? k.replace(unstorableAll, "\uFFFD") : k;
      const x2 = storableJson(x, changed);
      if (k2 !== k || x2 !== x) dirty = true;
      return [k2, x2] as const;
    });
    if (!dirty) return v;
    changed.any = true;
    return Object.fromEntries(entries);
  }
  return v;
}

const textFields = ["service", "name", "statusMessage", "messagingSystem", "messagingDestination", "messagingOperation", "messagingConsumerGroup", "messagingMessageId", "rabbitmqRoutingKey"] as const;

/**
 * Makes every string of these records storable, in place, and marks the spans that changed; returns how many did.
 * Records of one resource share its attributes object, and still share the (sanitised) one afterwards.
 */
export function sanitizeRecords(records: SpanRecord[]): number {
  const resources = new Map<object, { attributes: Record<string, unknown>; changed: boolean }>();
  let count = 0;
  for (const s of records) {
    const changed = { any: false };
    let resource = resources.get(s.resourceAttributes);
    if (!resource) {
      const c = { any: false };
      resource = { attributes: storableJson(s.resourceAttributes, c) as Record<string, unknown>, changed: c.any };
      resources.set(s.resourceAttributes, resource);
    }
    s.resourceAttributes = resource.attributes;
    for (const f of textFields) {
      const v = s[f];
      if (v !== null && unstorable.test(v)) {
        s[f] = v.replace(unstorableAll, "\uFFFD");
        changed.any = true;
      }
    }
    s.attributes = storableJson(s.attributes, changed) as Record<string, unknown>;
    s.events = storableJson(s.events, changed) as SpanRecord["events"];
    s.links = storableJson(s.links, changed) as SpanRecord["links"];
    if (changed.any || resource.changed) {
      s.attributes = { ...s.attributes, [SANITIZED_ATTRIBUTE]: true };
      count++;
    }
  }
  return count;
}
