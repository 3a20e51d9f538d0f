/**
 * The time ranges the pages offer (charts of lag and depth, the trace search), shortest first, with their length in
 * seconds: the one list the API's `range` enum, the pickers and the URL's `range` are made from.
 */
export const timeRanges = { "15m": 15 * 60, "1h": 3600, "6h": 6 * 3600, "24h": 86_400, "7d": 7 * 86_400 } as const;
export type TimeRange = keyof typeof timeRanges;

export const timeRangeNames = Object.keys(timeRanges) as [TimeRange, ...TimeRange[]];
export const defaultTimeRange: TimeRange = "1h";

export const isTimeRange = (v: unknown): v is TimeRange => typeof v === "string" && Object.hasOwn(timeRanges, v);

/** The range a URL names, or the default for none or one this list does not have. */
export const timeRangeOf = (v: string | null | undefined): TimeRange => (isTimeRange(v) ? v : defaultTimeRange);

export const timeRangeMs = (r: TimeRange): number => timeRanges[r] * 1000;

/** Whether times over this range need their day as well as their clock time (a day or longer). */
export const rangeSpansDays = (r: TimeRange): boolean => timeRanges[r] >= 86_400;
