"use client";

import Link from "next/link";
import { fetchJson } from "@/app/_components/fetch-json";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import type { ConsumerGroupList } from "@/app/_server/kafka";
import { sparkline } from "@/lib/charts/lag-series";
import { formatDuration } from "@/lib/kafka/view";
import { Sparkline } from "../_components/sparkline";
import { StatusBadge } from "../_components/status-badge";
import { RefreshSelect } from "../_components/refresh-select";
import { SortHeaders } from "../_components/sort-headers";
import { useUrlState } from "../_components/use-url-state";

const statuses = ["OK", "WARN", "STALL", "STOP", "REWIND"];
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
  const api = new URLSearchParams();
  for (const k of ["q", "status", "cluster", "sort", "dir"]) if (url.get(k)) api.set(k, url.get(k));
  const refresh = Number(url.get("refresh") || 5);
  const { data, error, isFetching } = useQuery({
    queryKey: ["consumer-groups", api.toString()],
    queryFn: () => fetchJson<ConsumerGroupList>(`/api/v1/kafka/consumer-groups?${api}`),
    refetchInterval: refresh > 0 ? refresh * 1000 : false,
    placeholderData: keepPreviousData,
  });
  const chosen = url.get("status") ? url.get("status").split(",") : [];
  const toggle = (s: string) => {
    const next = chosen.includes(s) ? chosen.filter((x) => x !== s) : [...chosen, s];
    url.set({ status: next.join(",") || null });
  };
  const sortBy = (key: string) => url.set({ sort: key, dir: sort === key && dir === "desc" ? "asc" : "desc" });

  return (
    <section>
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
        <RefreshSelect value={refresh} busy={isFetching} onChange={(v) => url.set({ refresh: v })} />
      </div>
      {error ? <p className="error">Could not load consumer groups: {error.message}</p> : null}
      {!data ? (
        <p className="muted">Loading…</p>
      ) : data.items.length === 0 ? (
        <p className="muted">No consumer groups match. The collectors poll every {data.pollIntervalMs / 1000} s.</p>
      ) : (
        <table className="grid-table" data-testid="groups-table">
          <thead>
            <tr>
              <SortHeaders columns={columns} sort={sort} dir={dir} onSort={sortBy} />
              <th>Cluster</th>
              <th>State</th>
              <th>Members</th>
              <th>Last 15 min</th>
            </tr>
          </thead>
          <tbody>
            {data.items.map((g) => (
              <tr key={`${g.cluster}/${g.groupId}`} data-testid={`group-${g.groupId}`} data-status={g.status}>
                <td>
                  <Link href={`/kafka/${encodeURIComponent(g.cluster)}/${encodeURIComponent(g.groupId)}`}>{g.groupId}</Link>
                  {g.error || g.stale ? <div className="error small">{g.error ?? "figures are stale: the collectors have not polled recently"}</div> : null}
                </td>
                <td>
                  <StatusBadge status={g.status} />
                </td>
                <td className="num" data-testid="total-lag">
                  {g.totalLag === null ? "—" : g.totalLag.toLocaleString("en-US")}
                </td>
                <td className="num">{formatDuration(g.maxLagSeconds)}</td>
                <td className="num">{g.totalLag === 0 ? "caught up" : g.etaSeconds === null ? "not catching up" : formatDuration(g.etaSeconds)}</td>
                <td>{g.cluster}</td>
                <td>{g.state}</td>
                <td className="num">{g.members}</td>
                <td>
                  <Sparkline values={sparkline(g.sparkline)} label={`total lag of ${g.groupId} over the last 15 minutes`} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
