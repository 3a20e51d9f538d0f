"use client";

import { fetchEndpoint } from "@/app/_components/fetch-json";
import { Loading, QueryError, StaleNotice } from "@/app/_components/query-state";
import { RefreshControl, useAutoRefresh } from "@/app/_components/refresh-select";
import { AppLink, Time } from "@/app/_components/time";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import type * as api from "@/lib/api/contracts/kafka";
import { prepareLagSeries } from "@/lib/charts/lag-series";
import { timeRangeOf } from "@/lib/time-range";
import { RangePicker, TimeChart } from "@/app/_components/time-chart";
import { formatDuration, formatDurationShort } from "@/lib/kafka/view";
import { StatusBadge } from "@/app/_components/status-badge";
import { useUrlState } from "@/app/_components/use-url-state";

export function GroupDetail({ cluster, group }: { cluster: string; group: string }) {
  const url = useUrlState();
  const range = timeRangeOf(url.get("range"));
  const refresh = useAutoRefresh(5);
  const { data, error, isFetching } = useQuery({
    queryKey: ["consumer-group", cluster, group, range],
    queryFn: ({ signal }) =>
      fetchEndpoint<typeof api.getConsumerGroup>("/api/v1/kafka/consumer-groups/{cluster}/{groupId}", { params: { cluster, groupId: group }, query: { range }, signal }),
    refetchInterval: refresh.refetchInterval,
    refetchOnWindowFocus: !refresh.paused,
    placeholderData: keepPreviousData,
  });
  if (error && !data) return <QueryError error={error} what={`consumer group ${group}`} backHref="/kafka" backLabel="← all consumer groups" />;
  if (!data) return <Loading what={`consumer group ${group}`} />;
  const chart = prepareLagSeries(data.history, range, Date.now());
  return (
    <>
      <p>
        <AppLink href="/kafka">← all groups</AppLink>
      </p>
      <h1>
        {data.groupId} <StatusBadge status={data.status} />
      </h1>
      <p className="muted">
        cluster {data.cluster} · state {data.state} · {data.members} member{data.members === 1 ? "" : "s"}
        {data.emptySince ? (
          <span data-testid="detail-empty-since">
            {" "}
            (none since <Time value={data.emptySince} relative />
            {data.inactive ? ": inactive" : ""})
          </span>
        ) : null}{" "}
        · evaluated <Time value={data.evaluatedAt} relative />
      </p>
      <StaleNotice error={error} />
      {data.error ? <p className="error">{data.error}</p> : null}
      <div className="stats">
        <div>
          <span className="muted small">lag</span>
          <strong data-testid="detail-total-lag">{data.totalLag === null ? "—" : data.totalLag.toLocaleString("en-US")}</strong>
        </div>
        {data.uncommittedBacklog > 0 ? (
          <div title="messages on the partitions it never committed on: the backlog it would face on joining, not lag">
            <span className="muted small">backlog where never committed</span>
            <strong data-testid="detail-uncommitted-backlog">{data.uncommittedBacklog.toLocaleString("en-US")}</strong>
          </div>
        ) : null}
        <div>
          <span className="muted small">oldest unconsumed</span>
          <strong>{formatDuration(data.maxLagSeconds)}</strong>
        </div>
        <div>
          <span className="muted small">ETA</span>
          <strong>{data.totalLag === 0 ? "caught up" : data.etaSeconds === null ? "not catching up" : formatDuration(data.etaSeconds)}</strong>
        </div>
        <div>
          <span className="muted small">consuming / producing</span>
          <strong>
            {data.consumeRate?.toFixed(1) ?? "—"} / {data.produceRate?.toFixed(1) ?? "—"} msg/s
          </strong>
        </div>
      </div>
      <div className="toolbar">
        <RangePicker range={range} onChange={(r) => url.set({ range: r === "1h" ? null : r })} />
        <RefreshControl state={refresh} busy={isFetching} />
      </div>
      <div className="charts">
        <TimeChart title="Lag (messages)" testId="chart-lag" data={chart} dataKey="lag" range={range} format={(v) => v.toLocaleString("en-US")} />
        <TimeChart title="Lag (time of the oldest unconsumed message)" testId="chart-lagSeconds" data={chart} dataKey="lagSeconds" range={range} format={(v) => formatDuration(v)} axisFormat={formatDurationShort} />
      </div>
      <h2>Partitions</h2>
      <div className="table-scroll">
      <table className="grid-table" data-testid="partitions-table">
        <thead>
          <tr>
            <th>Topic</th>
            <th>Partition</th>
            <th>Committed</th>
            <th>End</th>
            <th>Lag</th>
            <th>Lag (time)</th>
            <th>Method</th>
            <th>Status</th>
            <th>Member / client</th>
          </tr>
        </thead>
        <tbody>
          {data.partitions.map((p) => (
            <tr key={`${p.topic}/${p.partition}`}>
              <td>{p.topic}</td>
              <td className="num">{p.partition}</td>
              <td className="num">{p.committedOffset ?? "none"}</td>
              <td className="num">{p.endOffset ?? "—"}</td>
              <td className="num">
                {p.lag ?? "—"}
                {p.uncommittedBacklog !== null ? (
                  <div className="muted small" data-testid="partition-backlog">
                    backlog on joining {p.uncommittedBacklog.toLocaleString("en-US")}
                  </div>
                ) : null}
              </td>
              <td className="num">{formatDuration(p.lagSeconds)}</td>
              <td>{p.lagMethod}</td>
              <td>{p.note ? <span className="muted">{p.note}</span> : <StatusBadge status={p.status ?? "OK"} />}</td>
              <td>{p.member ? `${p.member.clientId} @ ${p.member.host}` : <span className="muted">unassigned</span>}</td>
            </tr>
          ))}
        </tbody>
      </table>
      </div>
      <h2>Members</h2>
      {data.memberDetails.length === 0 ? (
        <p className="muted">No active members: nobody is consuming for this group.</p>
      ) : (
        <div className="table-scroll">
        <table className="grid-table">
          <thead>
            <tr>
              <th>Client</th>
              <th>Host</th>
              <th>Assignment</th>
            </tr>
          </thead>
          <tbody>
            {data.memberDetails.map((m) => (
              <tr key={m.memberId}>
                <td title={m.memberId}>{m.clientId}</td>
                <td>{m.host}</td>
                <td>
                  {Object.entries(m.assignment)
                    .map(([t, ps]) => `${t} [${ps.join(", ")}]`)
                    .join("; ") || "—"}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        </div>
      )}
      <h2>Status history</h2>
      {data.statusHistory.length === 0 ? (
        <p className="muted">No status changes recorded.</p>
      ) : (
        <ul className="history">
          {data.statusHistory.map((h) => (
            <li key={h.at}>
              <StatusBadge status={h.status} /> <Time value={h.at} /> <span className="muted">{h.reason}</span>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
