import type { HealthResponse } from "@/lib/health";

/** Query options shared by the server prefetch and the client components. */
export const healthQuery = {
  queryKey: ["health"] as const,
  queryFn: async (): Promise<HealthResponse> => {
    const res = await fetch("/api/v1/health", { cache: "no-store" });
    if (!res.ok) throw new Error(`health answered ${res.status}`);
    return (await res.json()) as HealthResponse;
  },
  refetchInterval: 5_000,
};
