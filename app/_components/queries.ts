import type * as api from "@/lib/api/contracts/health";
import { fetchEndpoint } from "./fetch-json";

/** Query options shared by the server prefetch and the client components. */
export const healthQuery = {
  queryKey: ["health"] as const,
  queryFn: () => fetchEndpoint<typeof api.getHealth>("/api/v1/health"),
  refetchInterval: 5_000,
};
