/** Where a business workflow (an order, a payment) stands, as derived from its spans and dead letters. */
export const workflowStates = ["pending", "retrying", "completed", "failed", "dead_lettered"] as const;
export type WorkflowState = (typeof workflowStates)[number];
