"use client";

import type { ReactNode } from "react";
import { Loading, QueryError, StaleNotice } from "./query-state";

/** What a cursor-paged list needs of its infinite query. */
export interface PagedQuery {
  data: unknown;
  error: Error | null;
  hasNextPage: boolean;
  isFetchingNextPage: boolean;
  fetchNextPage: () => Promise<unknown>;
}

/**
 * A cursor-paged list's states, one way everywhere: the API's refusal with a way back, loading, the last good answer
 * with a failed refresh noted, "none match", the rows, and "older" while there are more pages.
 */
export function PagedList({ query, count, what, empty, children }: { query: PagedQuery; count: number; what: string; empty: string; children: ReactNode }) {
  const { data, error, hasNextPage, isFetchingNextPage, fetchNextPage } = query;
  if (error && !data) return <QueryError error={error} what={what} />;
  if (!data) return <Loading what={what} />;
  return (
    <>
      <StaleNotice error={error} />
      {count === 0 ? <p className="muted">{empty}</p> : children}
      {hasNextPage ? (
        <button type="button" className="chip" onClick={() => void fetchNextPage()} disabled={isFetchingNextPage}>
          {isFetchingNextPage ? "loading…" : "older"}
        </button>
      ) : null}
    </>
  );
}
