"use client";

import { useQuery } from "@tanstack/react-query";
import { fetchEndpoint } from "@/app/_components/fetch-json";
import { Loading, QueryError } from "@/app/_components/query-state";
import { AppLink } from "@/app/_components/time";
import { useUrlState } from "@/app/_components/use-url-state";
import type * as api from "@/lib/api/contracts/search";
import { searchKindLabel, searchKinds } from "@/lib/search";

/** The results of the header's search box, grouped by kind, best match first in each; the text lives in the URL. */
export function SearchResults() {
  const url = useUrlState();
  const q = url.get("q");
  const { data, error } = useQuery({
    queryKey: ["search", q],
    queryFn: ({ signal }) => fetchEndpoint<typeof api.search>("/api/v1/search", { query: { q }, signal }),
    enabled: q.trim().length > 0,
  });
  if (!q.trim()) return <p className="muted">Paste a trace id, a span id, a message id or key, an order id, a dead letter id, or a group, topic or queue name into the search box above.</p>;
  if (error) return <QueryError error={error} what="the search" />;
  if (!data) return <Loading what="results" />;
  if (!data.results.length)
    return (
      <p className="muted" data-testid="search-empty">
        Nothing matches “{data.q}”. Ids are matched whole; names by any part of at least two characters.
      </p>
    );
  return (
    <div className="search-results" data-testid="search-results">
      <p className="muted small">
        {data.results.length} {data.results.length === 1 ? "result" : "results"} for “{data.q}”
      </p>
      {searchKinds
        .filter((k) => data.results.some((r) => r.kind === k))
        .map((k) => (
          <section key={k} data-testid={`search-${k}`}>
            <h2>{searchKindLabel[k]}</h2>
            <ul>
              {data.results
                .filter((r) => r.kind === k)
                .map((r) => (
                  <li key={r.id}>
                    <AppLink href={r.url}>{r.title}</AppLink> <span className="muted small">{r.match}</span>
                  </li>
                ))}
            </ul>
          </section>
        ))}
    </div>
  );
}
