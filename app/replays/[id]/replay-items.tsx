"use client";

import { keepPreviousData, useInfiniteQuery } from "@tanstack/react-query";
import { fetchEndpoint } from "@/app/_components/fetch-json";
import { PagedList } from "@/app/_components/paged-list";
import { AppLink, Time } from "@/app/_components/time";
import { useUrlState } from "@/app/_components/use-url-state";
import type * as api from "@/lib/api/contracts/replays";
import type { ResponseOf } from "@/lib/api/endpoint";
import { replayItemStatuses } from "@/lib/replay-states";
import { skipReasonText } from "@/lib/replay/plan";
import { ReplayStatusBadge } from "../replay-status";

type ItemPage = ResponseOf<typeof api.listReplayItems>;

/** Items refresh at this pace while the replay is active (the bar above refreshes faster). */
const activeRefreshMs = 2_000;

/** A replay's items in order, filtered by status (`?status=` in the URL), each linked to its dead letter and trace. */
export function ReplayItems({ id, active }: { id: number; active: boolean }) {
  const url = useUrlState();
  const status = url.get("status");
  const pages = useInfiniteQuery({
    queryKey: ["replay-items", id, status],
    initialPageParam: "",
    queryFn: ({ pageParam, signal }): Promise<ItemPage> =>
      fetchEndpoint<typeof api.listReplayItems>("/api/v1/replays/{id}/items", { params: { id: String(id) }, query: { status, cursor: pageParam }, signal }),
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    refetchInterval: active ? activeRefreshMs : false,
    placeholderData: keepPreviousData,
  });
  const items = pages.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <section aria-label="Items">
      <h2>Items</h2>
      <div className="toolbar">
        <select aria-label="Item status" value={status} onChange={(e) => url.set({ status: e.target.value })}>
          <option value="">any status</option>
          {replayItemStatuses.map((s) => (
            <option key={s} value={s}>
              {s.replace("_", " ")}
            </option>
          ))}
        </select>
      </div>
      <PagedList query={pages} count={items.length} what="the replay's items" empty="No items match.">
        <div className="table-scroll">
          <table className="grid-table dl-table" data-testid="replay-items">
            <thead>
              <tr>
                <th>Dead letter</th>
                <th>Status</th>
                <th>Destination</th>
                <th>Sent</th>
                <th>Confirmed</th>
                <th>Settled</th>
                <th>Trace</th>
                <th>Error</th>
                <th>Came back as</th>
              </tr>
            </thead>
            <tbody>
              {items.map((i) => (
                <tr key={i.id} data-testid={`replay-item-${i.id}`} data-status={i.status}>
                  <td className="nowrap">
                    <AppLink href={`/dead-letters/${i.deadLetterId}`} data-testid="item-dead-letter">
                      #{i.deadLetterId}
                    </AppLink>
                    {i.edited ? <span className="tag"> edited</span> : null}
                    {i.resent ? (
                      <span className="tag" title="caught mid-send by a restart and sent again with the same message id">
                        {" "}
                        resent
                      </span>
                    ) : null}
                  </td>
                  <td>
                    <ReplayStatusBadge status={i.status} />
                    {i.skipReason ? <div className="muted small">{skipReasonText[i.skipReason]}</div> : null}
                  </td>
                  <td className="dl-error" title={i.destination ?? ""}>
                    {i.destination ?? <span className="muted">—</span>}
                  </td>
                  <td className="nowrap">{i.sentAt ? <Time value={i.sentAt} /> : <span className="muted">—</span>}</td>
                  <td className="nowrap">{i.confirmedAt ? <Time value={i.confirmedAt} /> : <span className="muted">—</span>}</td>
                  <td className="nowrap">{i.settledAt ? <Time value={i.settledAt} /> : <span className="muted">—</span>}</td>
                  <td className="nowrap">
                    {i.traceId ? (
                      <AppLink href={`/traces/${i.traceId}`} data-testid="item-trace" title={i.traceId}>
                        {i.traceId.slice(0, 12)}…
                      </AppLink>
                    ) : (
                      <span className="muted">—</span>
                    )}
                  </td>
                  <td className="dl-error" title={i.error ?? ""}>
                    {i.error ?? ""}
                  </td>
                  <td className="nowrap">
                    {i.failedAgainAs !== null ? (
                      <AppLink href={`/dead-letters/${i.failedAgainAs}`} data-testid="item-failed-again-as">
                        #{i.failedAgainAs}
                      </AppLink>
                    ) : i.status === "failed_again" ? (
                      <span className="muted small">its consumer&apos;s span erred</span>
                    ) : (
                      ""
                    )}
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
