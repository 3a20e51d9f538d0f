"use client";

import { usePathname, useSearchParams } from "next/navigation";
import { ApiError } from "./fetch-json";
import { AppLink } from "./time";

/**
 * What a page shows when its API refused or failed: the API's own message, and a way back to the page's default
 * view (its path without the query, the zone choice kept). Never a spinner that waits for an answer already given.
 */
export function QueryError({ error, what, backHref, backLabel }: { error: Error; what: string; backHref?: string; backLabel?: string }) {
  const pathname = usePathname() ?? "/";
  const query = useSearchParams().toString();
  const client = error instanceof ApiError && error.isClientError;
  return (
    <div className="page-error" role="alert" data-testid="query-error">
      <p>
        <strong>{client ? `This view cannot be shown: the link asks for something the API refuses.` : `Could not load ${what}.`}</strong>
      </p>
      <p className="error" data-testid="query-error-message">
        {error.message}
      </p>
      <AppLink href={backHref ?? (client ? pathname : `${pathname}${query ? `?${query}` : ""}`)} data-testid="query-error-back">{backLabel ?? (client ? `Open the default view` : `Try again`)}</AppLink>
    </div>
  );
}

/** A refresh that failed while the page still shows the last good answer. */
export function StaleNotice({ error }: { error: Error | null }) {
  if (!error) return null;
  return (
    <p className="error small" role="status" data-testid="refresh-error">
      last refresh failed: {error.message} · showing the previous answer
    </p>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p className="muted" aria-busy="true">
      Loading {what}…
    </p>
  );
}
