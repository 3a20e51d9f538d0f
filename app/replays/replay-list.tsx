"use client";

import { keepPreviousData, useInfiniteQuery } from "@tanstack/react-query";
import { fetchEndpoint } from "@/app/_components/fetch-json";
import { PagedList } from "@/app/_components/paged-list";
import { AppLink, Time, useNow } from "@/app/_components/time";
import { useUrlState } from "@/app/_components/use-url-state";
import type * as api from "@/lib/api/contracts/replays";
import type { ResponseOf } from "@/lib/api/endpoint";
import { replayStatuses } from "@/lib/replay-states";
import { isActive, replayProgress, sendRate, stillChanging } from "@/lib/replay/progress";
import { ProgressBar } from "./progress-bar";
import { ReplayStatusBadge } from "./replay-status";

type ReplayPage = ResponseOf<typeof api.listReplays>;
export type Replay = ReplayPage["items"][number];

/** How often the list refreshes while a replay on it can still change. */
const activeRefreshMs = 2_000;

/** `50/s`, and the rate actually reached so far when it has one. */
export function RateText({ r }: { r: Replay }) {
  const now = useNow();
  const actual = isActive(r.status) || r.finishedAt ? sendRate(r, Math.max(now, Date.now())) : null;
  return (
    <span className="nowrap" title="the rate asked for, and the rate sent at so far">
      {r.ratePerSecond.toLocaleString("en-US")}/s
      {actual !== null ? <span className="muted small"> · sent at {actual.toLocaleString("en-US")}/s</span> : null}
    </span>
  );
}

export function ReplayList() {
  const url = useUrlState();
  const filter = new URLSearchParams();
  if (url.get("status")) filter.set("status", url.get("status"));
  if (url.get("dryRuns") === "true") filter.set("dryRuns", "true");
  const pages = useInfiniteQuery({
    queryKey: ["replays", filter.toString()],
    initialPageParam: "",
    queryFn: ({ pageParam, signal }): Promise<ReplayPage> => {
      const qs = new URLSearchParams(filter);
      if (pageParam) qs.set("cursor", pageParam);
      return fetchEndpoint<typeof api.listReplays>("/api/v1/replays", { query: qs, signal });
    },
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    refetchInterval: (q) => (q.state.data?.pages.some((p) => p.items.some((r) => stillChanging(r, Date.now()))) ? activeRefreshMs : false),
    placeholderData: keepPreviousData,
  });
  const items = pages.data?.pages.flatMap((p) => p.items) ?? [];
  const active = items.some((r) => isActive(r.status));
  return (
    <section>
      <div className="toolbar">
        <select aria-label="Status" value={url.get("status")} onChange={(e) => url.set({ status: e.target.value })}>
          <option value="">any status</option>
          {replayStatuses.map((s) => (
            <option key={s}>{s}</option>
          ))}
        </select>
        <label className="small">
          <input type="checkbox" checked={url.get("dryRuns") === "true"} onChange={(e) => url.set({ dryRuns: e.target.checked ? "true" : null })} /> include dry runs
        </label>
        <span className="muted small" aria-live="polite" data-testid="replays-refresh">
          {active ? "refreshing every 2 s while a replay is active" : ""}
        </span>
      </div>
      <PagedList query={pages} count={items.length} what="replays" empty="No replays match.">
        <div className="table-scroll">
          <table className="grid-table replay-table" data-testid="replays-table">
            <thead>
              <tr>
                <th>Replay</th>
                <th>State</th>
                <th>Progress</th>
                <th className="num">Sent</th>
                <th className="num">Confirmed</th>
                <th className="num">Processed</th>
                <th className="num">Failed again</th>
                <th className="num">Skipped</th>
                <th className="num">Uncertain</th>
                <th className="num">Remaining</th>
                <th>Rate</th>
                <th>Who</th>
                <th>When</th>
              </tr>
            </thead>
            <tbody>
              {items.map((r) => (
                <tr key={r.id} data-testid={`replay-${r.id}`}>
                  <td className="nowrap">
                    <AppLink href={`/replays/${r.id}`}>#{r.id}</AppLink>
                    {r.dryRun ? <span className="tag"> dry run</span> : null}
                  </td>
                  <td>
                    <ReplayStatusBadge status={r.status} />
                  </td>
                  <td className="replay-progress-cell">
                    <ProgressBar progress={replayProgress(r)} compact />
                  </td>
                  <td className="num">{r.sent.toLocaleString("en-US")}</td>
                  <td className="num">{r.confirmed.toLocaleString("en-US")}</td>
                  <td className="num">{r.processed.toLocaleString("en-US")}</td>
                  <td className="num">{r.failedAgain.toLocaleString("en-US")}</td>
                  <td className="num">{r.skipped.toLocaleString("en-US")}</td>
                  <td className="num">{r.uncertain.toLocaleString("en-US")}</td>
                  <td className="num">{r.remaining.toLocaleString("en-US")}</td>
                  <td>
                    <RateText r={r} />
                  </td>
                  <td className="clip" title={r.requestedBy}>
                    {r.requestedBy}
                  </td>
                  <td className="nowrap">
                    <Time value={r.requestedAt} relative />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </PagedList>
    </section>
  );
}
