import { workflowStates, type WorkflowState } from "../workflow-states";

/** What the workflows chart stacks: the state each workflow is in now, or its name. */
export const chartDimensions = ["state", "name"] as const;
export type ChartBy = (typeof chartDimensions)[number];
export const chartByOf = (v: string | null | undefined): ChartBy => (v === "name" ? "name" : "state");

/** Names the chart draws apart at most; the rest are stacked as one. */
export const maxChartNames = 8;
/** The stack of the rest: a key no name can be (Postgres text holds no NUL), labelled "other names". */
export const otherNames = "\u0000other";

export interface StackedChart {
  /** the stacks, bottom first: every state in its order, or the names with the most workflows (then "other names") */
  keys: string[];
  /** one row per bucket, oldest first, a count per key (zero where none) */
  rows: ({ t: number } & Record<string, number>)[];
}

/** The stacked chart's data from the summary's series (workflows started per bucket by name and state). */
export function stackedSeries(series: readonly { t: string; name: string; state: WorkflowState; count: number }[], by: ChartBy = "state"): StackedChart {
  let keys: string[];
  let keyOf: (s: { name: string; state: WorkflowState }) => string;
  if (by === "state") {
    keys = [...workflowStates];
    keyOf = (s) => s.state;
  } else {
    const totals = new Map<string, number>();
    for (const s of series) totals.set(s.name, (totals.get(s.name) ?? 0) + s.count);
    const ranked = [...totals.entries()].sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0)).map(([n]) => n);
    const shown = ranked.length > maxChartNames ? ranked.slice(0, maxChartNames - 1) : ranked;
    const apart = new Set(shown);
    keys = ranked.length > shown.length ? [...shown, otherNames] : shown;
    keyOf = (s) => (apart.has(s.name) ? s.name : otherNames);
  }
  const byT = new Map<number, { t: number } & Record<string, number>>();
  for (const s of series) {
    const t = Date.parse(s.t);
    let row = byT.get(t);
    if (!row) {
      row = { t, ...Object.fromEntries(keys.map((k) => [k, 0])) } as { t: number } & Record<string, number>;
      byT.set(t, row);
    }
    row[keyOf(s)]! += s.count;
  }
  return { keys, rows: [...byT.values()].sort((a, b) => a.t - b.t) };
}

export const stateColour: Record<WorkflowState, string> = {
  dead_lettered: "#f85149",
  failed: "#da3633",
  compensated: "#a371f7",
  retrying: "#d29922",
  pending: "#58a6ff",
  running: "#3fb950",
  completed: "#6e7681",
};

/** Colours of the names' stacks, in the order of `keys` (legible on the dark background; "other names" grey). */
const namePalette = ["#58a6ff", "#3fb950", "#d29922", "#a371f7", "#f778ba", "#39c5cf", "#ff7b72", "#e3b341"];
export const stackColour = (by: ChartBy, key: string, index: number): string =>
  by === "state" ? (stateColour[key as WorkflowState] ?? "#6e7681") : key === otherNames ? "#6e7681" : namePalette[index % namePalette.length]!;

export const stateLabel = (s: WorkflowState) => s.replace("_", "-");
export const stackLabel = (by: ChartBy, key: string) => (by === "state" ? stateLabel(key as WorkflowState) : key === otherNames ? "other names" : key || "(unnamed)");

/** The ages the list offers to filter by (started longer ago than), shortest first. */
export const workflowAges = ["1m", "5m", "15m", "1h", "6h", "1d"] as const;
