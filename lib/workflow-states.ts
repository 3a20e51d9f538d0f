/**
 * Where a business workflow (an order, a payment) stands, derived from its spans and dead letters (lib/workflows/derive.ts),
 * worst first: the order `deriveWorkflow` decides in and the pages list them in.
 */
export const workflowStates = ["dead_lettered", "failed", "compensated", "retrying", "pending", "running", "completed"] as const;
export type WorkflowState = (typeof workflowStates)[number];

/** States a workflow may still leave by itself: past WORKFLOW_STUCK_AFTER in one of them it is stuck. */
export const activeWorkflowStates = ["pending", "running"] as const satisfies readonly WorkflowState[];
