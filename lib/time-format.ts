/**
 * The one time format of every page (pure, framework-free).
 *
 * Absolute times read `2026-12-01 08:25:13 UTC` in UTC, or `2026-12-01 09:25:13 +01:00` in the reader's zone, to the
 * second and sortable; which one is the `tz` URL parameter (`?tz=utc`; local is the default and stays out of the URL).
 * Where recency matters a page shows a relative age ("3 min ago") with the absolute time as its tooltip.
 */
export type TimeZoneMode = "utc" | "local";

/** The URL parameter that chooses the zone. */
export const tzParam = "tz";

/** `utc` (any case) is UTC; anything else, or nothing, is the reader's local zone. */
export function parseTimeZoneMode(value: string | null | undefined): TimeZoneMode {
  return value?.toLowerCase() === "utc" ? "utc" : "local";
}

export type TimeInput = string | number | Date | null | undefined;

/** Milliseconds since the epoch, or null for a missing or unparseable value. */
export function toEpochMs(value: TimeInput): number | null {
  if (value === null || value === undefined || value === "") return null;
  const ms = value instanceof Date ? value.getTime() : typeof value === "number" ? value : Date.parse(value);
  return Number.isFinite(ms) ? ms : null;
}

const pad = (n: number, w = 2) => String(Math.trunc(Math.abs(n))).padStart(w, "0");

/** Wall-clock parts of an instant in an IANA zone (the runtime's own zone when `timeZone` is undefined). */
function partsIn(ms: number, timeZone: string | undefined) {
  const f = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  });
  const p: Record<string, number> = {};
  for (const part of f.formatToParts(new Date(ms))) if (part.type !== "literal") p[part.type] = Number(part.value);
  return { year: p.year!, month: p.month!, day: p.day!, hour: p.hour! % 24, minute: p.minute!, second: p.second! };
}

/** The zone's offset from UTC at that instant, in minutes (east positive). */
export function offsetMinutes(ms: number, timeZone: string | undefined): number {
  const p = partsIn(ms, timeZone);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return Math.round((asUtc - Math.floor(ms / 1000) * 1000) / 60_000);
}

export interface FormatOptions {
  /** an IANA zone used for `local` instead of the runtime's (tests, or a server rendering for a known zone) */
  timeZone?: string;
  /** add milliseconds (`08:25:13.042`) */
  millis?: boolean;
}

/** `2026-12-01 08:25:13 UTC` or `2026-12-01 09:25:13 +01:00`; `—` for a missing or invalid time. */
export function formatTime(value: TimeInput, mode: TimeZoneMode, opts: FormatOptions = {}): string {
  const ms = toEpochMs(value);
  if (ms === null) return "—";
  const zone = mode === "utc" ? "UTC" : opts.timeZone;
  const p = partsIn(ms, zone);
  const frac = opts.millis ? `.${pad(((ms % 1000) + 1000) % 1000, 3)}` : "";
  const clock = `${p.year}-${pad(p.month)}-${pad(p.day)} ${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}${frac}`;
  if (mode === "utc") return `${clock} UTC`;
  const off = offsetMinutes(ms, zone);
  return `${clock} ${off < 0 ? "-" : "+"}${pad(Math.abs(off) / 60)}:${pad(Math.abs(off) % 60)}`;
}

/**
 * A relative age: "just now", "42 s ago", "3 min ago", "2 h 5 min ago", "4 d ago"; a time ahead of `now` (clock skew
 * or an ETA) reads "in 3 min". `—` for a missing or invalid time.
 */
export function formatRelative(value: TimeInput, now: number): string {
  const ms = toEpochMs(value);
  if (ms === null) return "—";
  const diff = Math.round((now - ms) / 1000);
  const s = Math.abs(diff);
  if (s < 5) return "just now";
  let text: string;
  if (s < 60) text = `${s} s`;
  else if (s < 3600) text = `${Math.floor(s / 60)} min`;
  else if (s < 86_400) {
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    text = h < 10 && m ? `${h} h ${m} min` : `${h} h`;
  } else text = `${Math.floor(s / 86_400)} d`;
  return diff >= 0 ? `${text} ago` : `in ${text}`;
}

/** How often a relative age that old needs re-rendering to stay right (ms). */
export function relativeRefreshMs(value: TimeInput, now: number): number {
  const ms = toEpochMs(value);
  if (ms === null) return 60_000;
  const s = Math.abs(now - ms) / 1000;
  return s < 60 ? 1_000 : s < 3600 ? 15_000 : 60_000;
}

/**
 * An in-app href with the zone choice carried over (`?tz=utc` stays on every link; local is the default and is not
 * written). The href's own query and hash are kept; an absolute URL to elsewhere is returned untouched.
 */
export function withTimeZone(href: string, mode: TimeZoneMode): string {
  if (!href.startsWith("/") || href.startsWith("//")) return href;
  const hashAt = href.indexOf("#");
  const hash = hashAt >= 0 ? href.slice(hashAt) : "";
  const rest = hashAt >= 0 ? href.slice(0, hashAt) : href;
  const qAt = rest.indexOf("?");
  const path = qAt >= 0 ? rest.slice(0, qAt) : rest;
  const params = new URLSearchParams(qAt >= 0 ? rest.slice(qAt + 1) : "");
  if (mode === "utc") params.set(tzParam, "utc");
  else params.delete(tzParam);
  const qs = params.toString();
  return `${path}${qs ? `?${qs}` : ""}${hash}`;
}

/** A chart axis tick: `08:25`, or `12-01 08:25` when the axis spans days, in the chosen zone. */
export function formatAxisTick(value: TimeInput, mode: TimeZoneMode, withDate: boolean, opts: Pick<FormatOptions, "timeZone"> = {}): string {
  const ms = toEpochMs(value);
  if (ms === null) return "";
  const p = partsIn(ms, mode === "utc" ? "UTC" : opts.timeZone);
  const hm = `${pad(p.hour)}:${pad(p.minute)}`;
  return withDate ? `${pad(p.month)}-${pad(p.day)} ${hm}` : hm;
}
