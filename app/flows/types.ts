import type * as api from "@/lib/api/contracts/flows";
import type { ResponseOf } from "@/lib/api/endpoint";

/** The flow map as the page gets it from GET /api/v1/flows. */
export type FlowGraphView = ResponseOf<typeof api.getFlows>;
