"use client";

import { fetchEndpoint } from "@/app/_components/fetch-json";
import { Loading, QueryError, StaleNotice } from "@/app/_components/query-state";
import { AppLink, Time } from "@/app/_components/time";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import type * as api from "@/lib/api/contracts/kafka";
import { sparkline } from "@/lib/charts/lag-series";
import { formatDuration } from "@/lib/kafka/view";
import { Sparkline } from "../_components/sparkline";
import { StatusBadge } from "../_components/status-badge";
import { RefreshControl, useAutoRefresh } from "../_components/refresh-select";
import { SortHeaders } from "../_components/sort-headers";
import { useScrollAnchor } from "../_components/scroll-anchor";
import { useUrlState } from "../_components/use-url-state";
import { useRef } from "react";
import { groupStatuses as statuses } from "@/lib/kafka/group-health";
import { kafkaGroupHref } from "@/lib/dead-letter-links";

const columns: [key: string, label: string][] = [
  ["group", "Group"],
  ["status", "Status"],
  ["lag", "Lag (messages)"],
  ["lagSeconds", "Lag (time)"],
  ["eta", "ETA"],
];

export function GroupsOverview() {
  const url = useUrlState();
  const sort = url.get("sort") || "status";
  const dir = url.get("dir") || "desc";
  const query = new URLSearchParams();
  for (const k of ["q", "status", "cluster", "sort", "dir", "inactive"]) if (url.get(k)) query.set(k, url.get(k));
  const refresh = useAutoRefresh(5);
  const { data, error, isFetching } = useQuery({
    queryKey: ["consumer-groups", query.toString()],
    queryFn: ({ signal }) => fetchEndpoint<typeof api.listConsumerGroups>("/api/v1/kafka/consumer-groups", { query, signal }),
    refetchInterval: refresh.refetchInterval,
    refetchOnWindowFocus: !refresh.paused,
    placeholderData: keepPreviousData,
  });
  const chosen = url.get("status") ? url.get("status").split(",") : [];
  const toggle = (s: string) => {
    const next = chosen.includes(s) ? chosen.filter((x) => x !== s) : [...chosen, s];
    url.set({ status: next.join(",") || null });
  };
  const sortBy = (key: string) => url.set({ sort: key, dir: sort === key && dir === "desc" ? "asc" : "desc" });
  const list = useRef<HTMLElement>(null);
  useScrollAnchor(list, data);

  return (
    <section ref={list}>
      <div className="toolbar">
        <input aria-label="Filter groups" placeholder="filter groups…" defaultValue={url.get("q")} onChange={(e) => url.set({ q: e.target.value })} />
        {data && data.clusters.length > 1 ? (
          <select aria-label="Cluster" value={url.get("cluster")} onChange={(e) => url.set({ cluster: e.target.value })}>
            <option value="">all clusters</option>
            {data.clusters.map((c) => (
              <option key={c}>{c}</option>
            ))}
          </select>
        ) : null}
        <span className="chips">
          {statuses.map((s) => (
            <button key={s} type="button" className={chosen.includes(s) ? "chip on" : "chip"} aria-pressed={chosen.includes(s)} onClick={() => toggle(s)}>
              {s}
            </button>
          ))}
        </span>
        <label className="small nowrap">
          <input type="checkbox" checked={url.get("inactive") === "true"} onChange={(e) => url.set({ inactive: e.target.checked ? "true" : null })} /> show inactive
          {data ? ` (${data.inactiveCount.toLocaleString("en-US")})` : ""}
        </label>
        <RefreshControl state={refresh} busy={isFetching} />
      </div>
      {error && !data ? (
        <QueryError error={error} what="consumer groups" />
      ) : !data ? (
        <Loading what="consumer groups" />
      ) : data.items.length === 0 ? (
        <p className="muted">No consumer groups match. The collectors poll every {data.pollIntervalMs / 1000} s.</p>
      ) : (
        <div className="table-scroll">
        <StaleNotice error={error} />
        <table className="grid-table" data-testid="groups-table">
          <thead>
            <tr>
              <SortHeaders columns={columns} sort={sort} dir={dir} onSort={sortBy} />
              <th>Cluster</th>
              <th>State</th>
              <th>Members</th>
              <th>Evaluated</th>
              <th>Last 15 min</th>
            </tr>
          </thead>
          <tbody>
            {data.items.map((g) => (
              <tr key={`${g.cluster}/${g.groupId}`} data-anchor={`${g.cluster}/${g.groupId}`} data-testid={`group-${g.groupId}`} data-status={g.status}>
                <td>
                  <AppLink href={kafkaGroupHref(g.cluster, g.groupId)}>{g.groupId}</AppLink>
                  {g.error || g.stale ? <div className="error small">{g.error ?? "figures are stale: the collectors have not polled recently"}</div> : null}
                </td>
                <td>
                  <StatusBadge status={g.status} />
                </td>
                <td className="num" data-testid="total-lag">
                  {g.totalLag === null ? "—" : g.totalLag.toLocaleString("en-US")}
                  {g.uncommittedBacklog > 0 ? (
                    <div className="muted small" data-testid="uncommitted-backlog" title="messages on partitions it never committed on: the backlog it would face on joining, not lag">
                      + {g.uncommittedBacklog.toLocaleString("en-US")} never committed
                    </div>
                  ) : null}
                </td>
                <td className="num">{formatDuration(g.maxLagSeconds)}</td>
                <td className="num">{g.totalLag === 0 ? "caught up" : g.etaSeconds === null ? "not catching up" : formatDuration(g.etaSeconds)}</td>
                <td>{g.cluster}</td>
                <td>
                  {g.state}
                  {g.inactive ? (
                    <span className="badge badge-stall" data-testid="group-inactive" title="no members for longer than KAFKA_INACTIVE_AFTER">
                      {" "}
                      inactive
                    </span>
                  ) : null}
                </td>
                <td className="num">{g.members}</td>
                <td className="nowrap small">
                  <Time value={g.evaluatedAt} relative />
                </td>
                <td>
                  <Sparkline values={sparkline(g.sparkline)} label={`total lag of ${g.groupId} over the last 15 minutes`} />
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
