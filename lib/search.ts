import { failureGroupHref, kafkaGroupHref, rabbitQueueHref } from "./dead-letter-links";

/**
 * The one search box (GET /api/v1/search): what a pasted text can be, and how the answers are ranked. Pure: the
 * lookups are in db/queries/search.ts, each served by an index built at ingest.
 */

/** Result kinds, in the order the page groups them. */
export const searchKinds = ["trace", "span", "dead_letter", "failure_group", "workflow", "group", "topic", "queue"] as const;
export type SearchKind = (typeof searchKinds)[number];

export const searchKindLabel: Record<SearchKind, string> = {
  trace: "Traces",
  span: "Spans",
  dead_letter: "Dead letters",
  failure_group: "Failure groups",
  workflow: "Workflows",
  group: "Consumer groups",
  topic: "Topics",
  queue: "Queues",
};

/** How well a result matches: an id or a whole name beats a prefix, which beats a part of a name. */
export const matchScores = { id: 100, key: 90, name: 80, related: 60, prefix: 50, part: 30 } as const;
export type MatchKind = keyof typeof matchScores;

export interface SearchResult {
  kind: SearchKind;
  id: string;
  title: string;
  url: string;
  /** the text is this result's own id or name (a trace id, a dead letter id, a group's name): its page can open at once */
  exact: boolean;
  match: MatchKind;
}

export interface SearchTerms {
  /** the text as pasted, trimmed */
  text: string;
  /** 32 hex digits (not all zero): a trace id */
  traceId: string | null;
  /** 16 hex digits (not all zero): a span id, or a failure group's id (the same shape) */
  spanId: string | null;
  /** a positive whole number: a dead letter id */
  numericId: number | null;
}

const hex = (n: number) => new RegExp(`^[0-9a-fA-F]{${n}}$`);

/** Spaces and the invisible characters a paste carries (zero-width space and joiners, word joiner, BOM) at the ends. */
export const trimPasted = (q: string): string => q.replace(/^[\s\u200B-\u200D\u2060\uFEFF]+|[\s\u200B-\u200D\u2060\uFEFF]+$/g, "");

/**
 * What the pasted text could be. A traceparent (`00-<trace>-<span>-01`, also as a header line `traceparent: …`) is
 * read as its trace id, a trace id written as a UUID (8-4-4-4-12, as some tools show it) without its dashes, and a
 * dead letter's `#123` (its title on every page) as 123.
 */
export function searchTerms(q: string): SearchTerms {
  let text = trimPasted(q);
  const header = /^traceparent\s*[:=]\s*(.+)$/i.exec(text);
  if (header) text = trimPasted(header[1]!);
  const tp = /^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/i.exec(text);
  if (tp) text = tp[1]!;
  if (/^#[1-9]\d{0,15}$/.test(text)) text = text.slice(1);
  // a UUID is looked up as it is (message ids and order ids often are UUIDs), and as a trace id without its dashes
  const asId = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(text) ? text.replace(/-/g, "") : text;
  const traceId = hex(32).test(asId) && !/^0+$/.test(asId) ? asId.toLowerCase() : null;
  const spanId = hex(16).test(text) && !/^0+$/.test(text) ? text.toLowerCase() : null;
  const numericId = /^[1-9]\d{0,15}$/.test(text) && Number(text) <= Number.MAX_SAFE_INTEGER ? Number(text) : null;
  return { text, traceId, spanId, numericId };
}

/** How a name matches the text: whole (case aside), prefix, or part; null when it does not. */
export function nameMatch(name: string, text: string): MatchKind | null {
  const n = name.toLowerCase();
  const t = text.toLowerCase();
  if (!t) return null;
  if (n === t) return "name";
  if (n.startsWith(t)) return "prefix";
  if (n.includes(t)) return "part";
  return null;
}

/** Best first: by match, then the kinds in page order, then title; each (kind, id) once, its best match kept. */
export function rankResults(results: readonly SearchResult[], limit = 50): SearchResult[] {
  const best = new Map<string, SearchResult>();
  for (const r of results) {
    const k = `${r.kind}\u0000${r.id}`;
    const have = best.get(k);
    if (!have || matchScores[r.match] > matchScores[have.match] || (r.exact && !have.exact)) best.set(k, r);
  }
  return [...best.values()]
    .sort((a, b) => matchScores[b.match] - matchScores[a.match] || Number(b.exact) - Number(a.exact) || searchKinds.indexOf(a.kind) - searchKinds.indexOf(b.kind) || a.title.localeCompare(b.title))
    .slice(0, limit);
}

/** Where the box goes on Enter: the page of the one exact match, or the results page. */
export function searchDestination(q: string, results: readonly SearchResult[]): string {
  const exact = results.filter((r) => r.exact);
  if (exact.length === 1) return exact[0]!.url;
  return `/search?${new URLSearchParams({ q: q.trim() })}`;
}

export const searchUrls = {
  trace: (traceId: string) => `/traces/${traceId}`,
  /** the trace with the span chosen (its waterfall selects `traceId:spanId`) */
  span: (traceId: string, spanId: string) => `/traces/${traceId}?${new URLSearchParams({ span: `${traceId}:${spanId}` })}`,
  deadLetter: (id: number | string) => `/dead-letters/${id}`,
  failureGroup: failureGroupHref,
  workflow: (id: number | string) => `/workflows/${id}`,
  group: kafkaGroupHref,
  /** the flow map with the topic chosen: its producers, its groups and their lag */
  topic: (topic: string) => `/flows?${new URLSearchParams({ sel: `kafka:${topic}` })}`,
  queue: rabbitQueueHref,
};
