import type { HealthResponse } from "@/lib/health";
import { fetchJson } from "./fetch-json";

/** Query options shared by the server prefetch and the client components. */
export const healthQuery = {
  queryKey: ["health"] as const,
  queryFn: () => fetchJson<HealthResponse>("/api/v1/health"),
  refetchInterval: 5_000,
};
