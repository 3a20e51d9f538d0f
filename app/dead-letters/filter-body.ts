import type { z } from "zod";
import type { deadLetterFilterBody } from "@/lib/dead-letter-selection";

/** The list filters that also narrow the groups (the group itself, the cursor and the page size do not). */
export const groupFilterKeys = ["system", "source", "exact", "broker", "vhost", "reason", "status", "q", "traceId"] as const;

export type FilterBody = z.input<typeof deadLetterFilterBody>;

/** What an action takes: ids, a failure group, or everything matching a filter (exactly one). */
export type Selection = { ids: number[] } | { groupId: string } | { filter: FilterBody };

/**
 * The list's filter as the URL holds it (text) turned into the JSON body actions take ("everything matching"): the
 * flag as a boolean, the trace id in lower case, empty values left out. Anything else is passed on for the API to
 * judge (a bad value answers 400 naming it).
 */
export function filterBodyOf(get: (key: string) => string): FilterBody {
  const out: Record<string, unknown> = {};
  for (const k of [...groupFilterKeys, "group"] as const) {
    const v = get(k);
    if (!v) continue;
    if (k === "exact") out.exact = v === "true";
    else if (k === "traceId") out.traceId = v.toLowerCase();
    else out[k] = v;
  }
  return out as FilterBody;
}

/** The selection's own words, for the panel's heading. */
export function selectionText(s: Selection): string {
  if ("ids" in s) return s.ids.length === 1 ? `dead letter #${s.ids[0]}` : `${s.ids.length.toLocaleString("en-US")} selected dead letters`;
  if ("groupId" in s) return `failure group ${s.groupId}`;
  const keys = Object.keys(s.filter);
  return keys.length === 0 ? "every dead letter" : `every dead letter matching ${Object.entries(s.filter).map(([k, v]) => `${k}=${String(v)}`).join(", ")}`;
}
