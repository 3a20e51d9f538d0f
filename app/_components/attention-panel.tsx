"use client";

import { useQuery } from "@tanstack/react-query";
import type * as api from "@/lib/api/contracts/attention";
import { fetchEndpoint } from "./fetch-json";
import { Loading, QueryError } from "./query-state";
import { AppLink } from "./time";

/**
 * The home page's first answer: what is wrong right now, worst first, each a link to its page. "Nothing needs
 * attention" shows only when the API's list is empty; while it cannot be read, the panel says so (never "healthy").
 */
export function AttentionPanel() {
  const { data, error } = useQuery({
    queryKey: ["attention"],
    queryFn: ({ signal }) => fetchEndpoint<typeof api.getAttention>("/api/v1/attention", { signal }),
    refetchInterval: 10_000,
  });
  if (!data) return error ? <QueryError error={error} what="what needs attention" /> : <Loading what="what needs attention" />;
  return (
    <section aria-label="Needs attention" data-testid="attention" data-count={data.items.length}>
      <h2>Needs attention</h2>
      {data.allHealthy ? (
        <p className="ok-text" data-testid="attention-none">
          Nothing needs attention: every group is keeping up, no dead letters in the last {data.windowMinutes} min, no workflow stuck, every source healthy.
        </p>
      ) : (
        <ul className="attention-list">
          {data.items.map((i) => (
            <li key={`${i.kind}:${i.title}`} data-testid={`attention-${i.kind}`} data-severity={i.severity}>
              <span className={`dot ${i.severity === "critical" ? "bad" : i.severity === "warning" ? "warn" : "info"}`} aria-hidden /> <AppLink href={i.url}>{i.title}</AppLink> <span className="muted small">{i.detail}</span>
            </li>
          ))}
        </ul>
      )}
      {error ? <p className="error small">last refresh failed: {error.message}</p> : null}
    </section>
  );
}
