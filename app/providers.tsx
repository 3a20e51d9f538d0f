"use client";

import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { useState, type ReactNode } from "react";
import { retryUnlessClientError } from "./_components/fetch-json";

export function Providers({ children }: { children: ReactNode }) {
  const [client] = useState(
    () => new QueryClient({ defaultOptions: { queries: { staleTime: 2_000, refetchOnWindowFocus: true, retry: retryUnlessClientError } } }),
  );
  return <QueryClientProvider client={client}>{children}</QueryClientProvider>;
}
