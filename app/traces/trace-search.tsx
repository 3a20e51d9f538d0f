"use client";

import { useRouter } from "next/navigation";
import { useEffect, useRef, useState } from "react";
import { keepPreviousData, useInfiniteQuery } from "@tanstack/react-query";
import { AppLink, Time, useAppHref } from "@/app/_components/time";
import { useUrlState } from "@/app/_components/use-url-state";
import { fetchEndpoint } from "@/app/_components/fetch-json";
import type * as api from "@/lib/api/contracts/traces";
import { defaultTimeRange, timeRangeMs, timeRangeNames, timeRangeOf } from "@/lib/time-range";
import { formatDuration } from "@/lib/traces/waterfall";
import styles from "./traces.module.css";

const filters = ["service", "operation", "status", "minDurationMs", "maxDurationMs", "attr", "destination", "messageId", "messageKey", "hasDeadLetters"] as const;

export function TraceSearchView() {
  const url = useUrlState();
  const router = useRouter();
  const appHref = useAppHref();
  const [id, setId] = useState("");
  // the filter inputs are uncontrolled (typing writes the URL): remount them once "back to the default search" has
  // emptied the URL, so they show it
  const [resetCount, setResetCount] = useState(0);
  const resetting = useRef(false);
  useEffect(() => {
    if (resetting.current && filters.every((k) => !new URLSearchParams(url.query).get(k))) {
      resetting.current = false;
      setResetCount((n) => n + 1);
    }
  }, [url.query]);
  const range = timeRangeOf(url.get("range"));
  const filtered = new URLSearchParams();
  for (const k of filters) if (url.get(k)) filtered.set(k, url.get(k));
  const { data, error, fetchNextPage, hasNextPage, isFetchingNextPage, isPlaceholderData } = useInfiniteQuery({
    queryKey: ["traces", filtered.toString(), range],
    initialPageParam: "",
    queryFn: async ({ pageParam, signal }) => {
      const query = new URLSearchParams(filtered);
      query.set("from", new Date(Date.now() - timeRangeMs(range)).toISOString());
      if (pageParam) query.set("cursor", pageParam);
      return fetchEndpoint<typeof api.searchTraces>("/api/v1/traces", { query, signal });
    },
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    // a refused query (400) is answered the same every time: no retry, no polling until the query changes
    refetchInterval: (q) => (q.state.error ? false : 10_000),
    placeholderData: keepPreviousData,
  });
  const items = data?.pages.flatMap((p) => p.items) ?? [];
  const lastPage = data?.pages[data.pages.length - 1];
  const partial = lastPage?.partial ?? false;
  const goto = (e: React.FormEvent) => {
    e.preventDefault();
    const t = id.trim().toLowerCase();
    if (/^[0-9a-f]{32}$/.test(t)) router.push(appHref(`/traces/${t}`));
  };
  const validId = /^[0-9a-f]{32}$/.test(id.trim().toLowerCase());
  return (
    <section>
      <form className="toolbar" onSubmit={goto}>
        <input aria-label="Trace id" placeholder="trace id (32 hex digits)" value={id} onChange={(e) => setId(e.target.value)} size={36} />
        <button type="submit" className="chip" disabled={!validId}>
          open
        </button>
        {id && !validId ? <span className="error">a trace id is 32 hex digits</span> : null}
      </form>
      <div className="toolbar" key={resetCount}>
        <span className="chips" role="group" aria-label="Time range">
          {timeRangeNames.map((r) => (
            <button key={r} type="button" className={`chip${r === range ? " on" : ""}`} onClick={() => url.set({ range: r === defaultTimeRange ? null : r })}>
              {r}
            </button>
          ))}
        </span>
        <input aria-label="Service" placeholder="service" defaultValue={url.get("service")} onChange={(e) => url.set({ service: e.target.value })} />
        <input aria-label="Operation" placeholder="operation (span name)" defaultValue={url.get("operation")} onChange={(e) => url.set({ operation: e.target.value })} />
        <select aria-label="Status" value={url.get("status")} onChange={(e) => url.set({ status: e.target.value })}>
          <option value="">any status</option>
          <option value="error">with errors</option>
        </select>
        <input aria-label="Minimum duration (ms)" placeholder="min ms" size={7} defaultValue={url.get("minDurationMs")} onChange={(e) => url.set({ minDurationMs: e.target.value })} />
        <input aria-label="Maximum duration (ms)" placeholder="max ms" size={7} defaultValue={url.get("maxDurationMs")} onChange={(e) => url.set({ maxDurationMs: e.target.value })} />
        <input aria-label="Attribute" placeholder="attribute key=value" defaultValue={url.get("attr")} onChange={(e) => url.set({ attr: e.target.value })} />
        <input aria-label="Destination" placeholder="topic or queue" defaultValue={url.get("destination")} onChange={(e) => url.set({ destination: e.target.value })} />
        <input aria-label="Message id" placeholder="message id" defaultValue={url.get("messageId")} onChange={(e) => url.set({ messageId: e.target.value })} />
        <input aria-label="Message key" placeholder="message key" defaultValue={url.get("messageKey")} onChange={(e) => url.set({ messageKey: e.target.value })} />
        <label>
          <input type="checkbox" checked={url.get("hasDeadLetters") === "true"} onChange={(e) => url.set({ hasDeadLetters: e.target.checked ? "true" : null })} /> has dead letters
        </label>
      </div>
      {error && (!data || isPlaceholderData) ? (
        <div className="page-error" role="alert" data-testid="traces-error">
          <p className="error">Could not search traces: {error.message}</p>
          <p>
            <AppLink href="/traces" onClick={() => (resetting.current = true)}>
              Back to the default search
            </AppLink>
          </p>
        </div>
      ) : !data ? (
        <p className="muted">Loading…</p>
      ) : items.length === 0 ? (
        <p className="muted">{partial ? "No traces found yet." : `No traces match in the last ${range}.`}</p>
      ) : (
        <>
          {error ? <p className="error">Could not refresh: {error.message}</p> : null}
          <div className="table-scroll">
            <table className="grid-table" data-testid="traces-table">
              <thead>
                <tr>
                  <th>Started</th>
                  <th>Root</th>
                  <th>Services</th>
                  <th className="num">Spans</th>
                  <th className="num">Errors</th>
                  <th className="num">Dead letters</th>
                  <th className="num">Duration</th>
                </tr>
              </thead>
              <tbody>
                {items.map((t) => (
                  <tr key={t.traceId} data-trace-id={t.traceId}>
                    <td>
                      <AppLink href={`/traces/${t.traceId}`}>
                        <Time value={t.startTime} relative />
                      </AppLink>
                    </td>
                    <td>
                      {t.rootName} <span className="muted">{t.rootService}</span>
                      {t.rootIsTrueRoot ? null : (
                        <span className={styles.pendingRoot} data-testid="root-pending">
                          {" "}
                          · root span not received yet
                        </span>
                      )}
                    </td>
                    <td className="clip" title={t.services.join(", ")}>
                      {t.services.join(", ")}
                    </td>
                    <td className="num">{t.spanCount}</td>
                    <td className={`num${t.errorCount ? " bad-text" : ""}`}>{t.errorCount}</td>
                    <td className={`num${t.deadLetterCount ? " bad-text" : ""}`} data-testid="dead-letter-count">
                      {t.deadLetterCount}
                    </td>
                    <td className="num">{formatDuration(t.durationMs)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
      {partial && lastPage?.scannedBackTo ? (
        <p className="muted" data-testid="search-partial">
          Searched back to <Time value={lastPage.scannedBackTo} />: a search stops after reading 20,000 matching spans, so more traces may match before
          that. Narrow the time range or filters, or search further back.
        </p>
      ) : null}
      {hasNextPage && !error ? (
        <button type="button" className="chip" onClick={() => void fetchNextPage()} disabled={isFetchingNextPage}>
          {isFetchingNextPage ? "loading…" : partial ? "search further back" : "older"}
        </button>
      ) : null}
    </section>
  );
}
