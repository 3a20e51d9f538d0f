"use client";

import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { fetchEndpoint } from "@/app/_components/fetch-json";
import { Loading, QueryError, StaleNotice } from "@/app/_components/query-state";
import { AppLink } from "@/app/_components/time";
import { useUrlState } from "@/app/_components/use-url-state";
import type * as api from "@/lib/api/contracts/analysis";
import { timeRangeMs, timeRangeOf, type TimeRange } from "@/lib/time-range";

const ranges: TimeRange[] = ["15m", "1h", "6h", "24h", "7d"];

/** The range as the API takes it: the last `range` up to now. */
function rangeQuery(range: TimeRange) {
  const to = new Date();
  return { from: new Date(to.getTime() - timeRangeMs(range)).toISOString(), to: to.toISOString() };
}

const refetch = (q: { state: { error: Error | null; data: unknown } }) => (q.state.error && !q.state.data ? false : 30_000);

const pct = (x: number) => `${(x * 100).toFixed(x >= 0.999 ? 2 : 1)}%`;

export function AnalysisView() {
  const url = useUrlState();
  const range = timeRangeOf(url.get("range") || "1h");
  const chains = useQuery({
    queryKey: ["analysis", "sync-chains", range],
    queryFn: ({ signal }) => fetchEndpoint<typeof api.getSyncChains>("/api/v1/analysis/sync-chains", { query: rangeQuery(range), signal }),
    refetchInterval: refetch,
    placeholderData: keepPreviousData,
  });
  const dups = useQuery({
    queryKey: ["analysis", "duplicates", range],
    queryFn: ({ signal }) => fetchEndpoint<typeof api.getDuplicates>("/api/v1/analysis/duplicates", { query: rangeQuery(range), signal }),
    refetchInterval: refetch,
    placeholderData: keepPreviousData,
  });
  return (
    <section>
      <div className="toolbar">
        <select aria-label="Range" value={range} onChange={(e) => url.set({ range: e.target.value })}>
          {ranges.map((r) => (
            <option key={r} value={r}>
              last {r}
            </option>
          ))}
        </select>
      </div>
      <h2>Synchronous chains</h2>
      {chains.error && !chains.data ? (
        <QueryError error={chains.error} what="the synchronous chains" />
      ) : !chains.data ? (
        <Loading what="the synchronous chains" />
      ) : (
        <>
          <StaleNotice error={chains.error} />
          <p className="muted small">
            Deeper than {chains.data.maxDepth} calls is flagged (SYNC_CHAIN_MAX_DEPTH).{chains.data.partial ? " The range held more spans than one answer reads: the newest 200,000 were read." : ""}
          </p>
          {chains.data.items.length === 0 ? (
            <p className="muted">No synchronous calls between services in the last {range}.</p>
          ) : (
            <div className="table-scroll">
              <table className="grid-table" data-testid="sync-chains">
                <thead>
                  <tr>
                    <th>Entry</th>
                    <th className="num">Depth</th>
                    <th>Chain</th>
                    <th className="num">Latency p50 / p95</th>
                    <th className="num">Availability</th>
                    <th className="num">Traces</th>
                  </tr>
                </thead>
                <tbody>
                  {chains.data.items.map((c) => (
                    <tr key={`${c.entryService}\u0000${c.entryOperation}`} className={c.flagged ? "row-flagged" : undefined}>
                      <td>
                        {c.entryService} <span className="muted">{c.entryOperation}</span>
                      </td>
                      <td className="num">
                        {c.depth}
                        {c.flagged ? <span className="badge badge-stall"> too deep</span> : null}
                      </td>
                      <td className="small">{[c.hops[0]?.from, ...c.hops.map((h) => h.to)].join(" → ")}</td>
                      <td className="num">{c.serialLatencyP50Ms === null ? "–" : `${c.serialLatencyP50Ms} / ${c.serialLatencyP95Ms} ms`}</td>
                      <td className="num">{pct(c.availability)}</td>
                      <td className="num">
                        <AppLink href={`/traces/${c.exampleTraceId}`}>{c.traces.toLocaleString("en-US")}</AppLink>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}
      <h2>Duplicate processing</h2>
      {dups.error && !dups.data ? (
        <QueryError error={dups.error} what="the duplicate processing" />
      ) : !dups.data ? (
        <Loading what="the duplicate processing" />
      ) : dups.data.items.length === 0 ? (
        <p className="muted">No message was processed successfully twice by the same consumer in the last {range}.</p>
      ) : (
        <div className="table-scroll">
          <table className="grid-table" data-testid="duplicates">
            <thead>
              <tr>
                <th>Consumer</th>
                <th>Destination</th>
                <th>Message</th>
                <th className="num">Times</th>
                <th>Traces</th>
              </tr>
            </thead>
            <tbody>
              {dups.data.items.map((d) => (
                <tr key={`${d.consumerGroup}\u0000${d.destination}\u0000${d.messageId}\u0000${d.partition}\u0000${d.offset}`}>
                  <td>
                    {d.consumerGroup}
                    {d.byService ? <span className="muted small"> (service)</span> : null}
                  </td>
                  <td>{d.destination ?? "–"}</td>
                  <td className="small">{d.messageId ?? `partition ${d.partition} offset ${d.offset}`}</td>
                  <td className="num">{d.count}</td>
                  <td className="small">
                    {d.traceIds.slice(0, 5).map((t) => (
                      <AppLink key={t} href={`/traces/${t}`} className="mono">
                        {t.slice(0, 8)}{" "}
                      </AppLink>
                    ))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
