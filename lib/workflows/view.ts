import { workflowStates, type WorkflowState } from "../workflow-states";

/** The stacked chart's rows: one per bucket, a count per state (zero where none), oldest first. */
export function stackedSeries(series: readonly { t: string; state: WorkflowState; count: number }[]): ({ t: number } & Record<WorkflowState, number>)[] {
  const byT = new Map<number, { t: number } & Record<WorkflowState, number>>();
  for (const s of series) {
    const t = Date.parse(s.t);
    let row = byT.get(t);
    if (!row) {
      row = { t, ...(Object.fromEntries(workflowStates.map((x) => [x, 0])) as Record<WorkflowState, number>) };
      byT.set(t, row);
    }
    row[s.state] += s.count;
  }
  return [...byT.values()].sort((a, b) => a.t - b.t);
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

export const stateLabel = (s: WorkflowState) => s.replace("_", "-");
