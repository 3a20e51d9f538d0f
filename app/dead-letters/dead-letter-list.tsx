"use client";

import Link from "next/link";
import { fetchJson } from "@/app/_components/fetch-json";
import { keepPreviousData, useInfiniteQuery } from "@tanstack/react-query";
import type { DeadLetterList } from "@/app/_server/dead-letters";
import { formatTimestamp } from "@/lib/kafka/view";
import { useUrlState } from "../_components/use-url-state";

export function DeadLetterListView() {
  const url = useUrlState();
  const api = new URLSearchParams();
  for (const k of ["system", "source", "reason", "status", "q", "traceId"]) if (url.get(k)) api.set(k, url.get(k));
  const { data, error, fetchNextPage, hasNextPage, isFetchingNextPage } = useInfiniteQuery({
    queryKey: ["dead-letters", api.toString()],
    initialPageParam: "",
    queryFn: async ({ pageParam }): Promise<DeadLetterList> => {
      const qs = new URLSearchParams(api);
      if (pageParam) qs.set("cursor", pageParam);
      return fetchJson<DeadLetterList>(`/api/v1/dead-letters?${qs}`);
    },
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    refetchInterval: 10_000,
    placeholderData: keepPreviousData,
  });
  const items = data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <section>
      <div className="toolbar">
        <select aria-label="System" value={url.get("system")} onChange={(e) => url.set({ system: e.target.value })}>
          <option value="">all systems</option>
          <option value="kafka">Kafka</option>
          <option value="rabbitmq">RabbitMQ</option>
        </select>
        <select aria-label="Status" value={url.get("status")} onChange={(e) => url.set({ status: e.target.value })}>
          <option value="">any status</option>
          {["new", "replaying", "replayed", "discarded"].map((s) => (
            <option key={s}>{s}</option>
          ))}
        </select>
        <input aria-label="Source" placeholder="dead-letter topic or queue" defaultValue={url.get("source")} onChange={(e) => url.set({ source: e.target.value })} />
        <input aria-label="Search" placeholder="error, destination, trace id…" defaultValue={url.get("q")} onChange={(e) => url.set({ q: e.target.value })} />
      </div>
      {error ? <p className="error">Could not load dead letters: {error.message}</p> : null}
      {!data ? (
        <p className="muted">Loading…</p>
      ) : items.length === 0 ? (
        <p className="muted">No dead letters match.</p>
      ) : (
        <table className="grid-table" data-testid="dead-letters-table">
          <thead>
            <tr>
              <th>Died</th>
              <th>System</th>
              <th>Source</th>
              <th>Original destination</th>
              <th>Reason</th>
              <th>Error</th>
              <th>Deaths</th>
              <th>Size</th>
              <th>Status</th>
            </tr>
          </thead>
          <tbody>
            {items.map((d) => (
              <tr key={d.id}>
                <td>
                  <Link href={`/dead-letters/${d.id}`}>{d.lastDeadAt ? formatTimestamp(d.lastDeadAt) : `#${d.id}`}</Link>
                </td>
                <td>{d.system}</td>
                <td>{d.source}</td>
                <td>{d.originalDestination ?? "—"}</td>
                <td>{d.reason ?? "—"}</td>
                <td className="clip" title={d.errorMessage ?? ""}>
                  {d.errorType ? `${d.errorType.split(".").pop()}: ` : ""}
                  {d.errorMessage ?? ""}
                </td>
                <td className="num">{d.deathCount}</td>
                <td className="num">{d.sizeBytes.toLocaleString("en-US")} B</td>
                <td>{d.status}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {hasNextPage ? (
        <button type="button" className="chip" onClick={() => void fetchNextPage()} disabled={isFetchingNextPage}>
          {isFetchingNextPage ? "loading…" : "older"}
        </button>
      ) : null}
    </section>
  );
}
