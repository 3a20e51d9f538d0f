"use client";

import { keepPreviousData, useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { fetchEndpoint } from "@/app/_components/fetch-json";
import { PagedList } from "@/app/_components/paged-list";
import { QueryError } from "@/app/_components/query-state";
import { AppLink, Time } from "@/app/_components/time";
import { useUrlState } from "@/app/_components/use-url-state";
import type * as api from "@/lib/api/contracts/workflows";
import type { ResponseOf } from "@/lib/api/endpoint";
import { timeRangeMs, timeRangeOf, type TimeRange } from "@/lib/time-range";
import { workflowStates, type WorkflowState } from "@/lib/workflow-states";
import { kafkaGroupHref, rabbitQueueHref } from "@/lib/dead-letter-links";
import { chartByOf, chartDimensions, stackColour, stackedSeries, stackLabel, stateColour, stateLabel, workflowAges } from "@/lib/workflows/view";

type Page = ResponseOf<typeof api.listWorkflows>;
export type Workflow = Page["items"][number];
const ranges: TimeRange[] = ["15m", "1h", "6h", "24h", "7d"];
const refreshMs = 10_000;

export function StateBadge({ state, stuck }: { state: WorkflowState; stuck?: boolean }) {
  return (
    <span className="nowrap">
      <span className="badge" style={{ borderColor: stateColour[state], color: stateColour[state] }} data-testid="workflow-state">
        {stateLabel(state)}
      </span>
      {stuck ? (
        <span className="badge badge-stall" data-testid="workflow-stuck">
          {" "}
          stuck
        </span>
      ) : null}
    </span>
  );
}

/** Where a waiting workflow's message waits: the group's lag page, the queue's page, or the traces through it. */
function waitingHref(w: NonNullable<Workflow["waitingOn"]>): string {
  if (w.group && w.cluster) return kafkaGroupHref(w.cluster, w.group);
  if (w.broker && w.vhost !== null) return rabbitQueueHref(w.broker, w.vhost, w.destination);
  return `/traces?${new URLSearchParams({ destination: w.destination })}`;
}

export function WaitingOn({ w }: { w: Workflow["waitingOn"] }) {
  if (!w) return <span className="muted">–</span>;
  return (
    <span className="small">
      <AppLink href={waitingHref(w)} data-testid="waiting-on">
        {w.destination}
        {w.group ? ` (${w.group})` : ""}
      </AppLink>
      {w.lag ? ` lag ${w.lag.messages ?? "?"} msgs${w.lag.seconds !== null ? ` / ${Math.round(w.lag.seconds)} s` : ""}` : ""}
      {w.depth ? ` · depth ${w.depth.ready ?? "?"}` : ""} since <Time value={w.since} relative />
    </span>
  );
}

export function WorkflowList() {
  const url = useUrlState();
  const range = timeRangeOf(url.get("range") || "1h");
  const state = url.get("state");
  const filter = new URLSearchParams();
  for (const k of ["state", "name", "key", "stuck", "olderThan"]) if (url.get(k)) filter.set(k, url.get(k));
  const chartBy = chartByOf(url.get("chart"));
  const from = () => new Date(Date.now() - timeRangeMs(range)).toISOString();
  const summary = useQuery({
    queryKey: ["workflows-summary", range],
    queryFn: ({ signal }) => fetchEndpoint<typeof api.getWorkflowSummary>("/api/v1/workflows/summary", { query: { from: from() }, signal }),
    refetchInterval: (q) => (q.state.error && !q.state.data ? false : refreshMs),
    placeholderData: keepPreviousData,
  });
  const pages = useInfiniteQuery({
    queryKey: ["workflows", range, filter.toString()],
    initialPageParam: "",
    queryFn: ({ pageParam, signal }): Promise<Page> => {
      const qs = new URLSearchParams(filter);
      qs.set("from", from());
      if (pageParam) qs.set("cursor", pageParam);
      return fetchEndpoint<typeof api.listWorkflows>("/api/v1/workflows", { query: qs, signal });
    },
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    refetchInterval: refreshMs,
    placeholderData: keepPreviousData,
  });
  const items = pages.data?.pages.flatMap((p) => p.items) ?? [];
  const chart = summary.data ? stackedSeries(summary.data.series, chartBy) : { keys: [], rows: [] };
  const rows = chart.rows;
  const names = summary.data ? [...new Set(summary.data.byName.map((x) => x.name))].sort() : [];
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
        <select aria-label="State" value={state} onChange={(e) => url.set({ state: e.target.value })}>
          <option value="">any state</option>
          {workflowStates.map((s) => (
            <option key={s} value={s}>
              {stateLabel(s)}
            </option>
          ))}
        </select>
        <select aria-label="Name" value={url.get("name")} onChange={(e) => url.set({ name: e.target.value })}>
          <option value="">any name</option>
          {[...new Set([...names, ...(url.get("name") ? [url.get("name")] : [])])].map((n) => (
            <option key={n} value={n}>
              {n}
            </option>
          ))}
        </select>
        <select aria-label="Age" value={url.get("olderThan")} onChange={(e) => url.set({ olderThan: e.target.value || null })}>
          <option value="">any age</option>
          {[...new Set([...workflowAges, ...(url.get("olderThan") ? [url.get("olderThan")] : [])])].map((a) => (
            <option key={a} value={a}>
              started over {a} ago
            </option>
          ))}
        </select>
        <input aria-label="Business key" placeholder="order id, payment id…" defaultValue={url.get("key")} onChange={(e) => url.set({ key: e.target.value.trim() })} />
        <label className="small">
          <input type="checkbox" checked={url.get("stuck") === "true"} onChange={(e) => url.set({ stuck: e.target.checked ? "true" : null })} /> stuck only
        </label>
      </div>
      {summary.error && !summary.data ? (
        <QueryError error={summary.error} what="the workflow counts" />
      ) : summary.data ? (
        <div className="card" data-testid="workflow-summary">
          <p className="small">
            {summary.data.byState.map((s) => (
              <button key={s.state} type="button" className="link-button" onClick={() => url.set({ state: s.state === state ? null : s.state })} style={{ marginRight: "1rem" }}>
                <span style={{ color: stateColour[s.state] }}>{stateLabel(s.state)}</span> {s.count.toLocaleString("en-US")}
              </button>
            ))}
            <button type="button" className="link-button" onClick={() => url.set({ stuck: url.get("stuck") === "true" ? null : "true" })}>
              stuck {summary.data.stuck.toLocaleString("en-US")}
            </button>
            <span className="nowrap" style={{ marginLeft: "1rem" }}>
              chart by{" "}
              {chartDimensions.map((d) => (
                <label key={d} style={{ marginRight: "0.5rem" }}>
                  <input type="radio" name="workflow-chart" value={d} checked={chartBy === d} onChange={() => url.set({ chart: d === "state" ? null : d })} /> {d}
                </label>
              ))}
            </span>
          </p>
          {rows.length ? (
            <ResponsiveContainer width="100%" height={180}>
              <BarChart data={rows}>
                <CartesianGrid strokeDasharray="3 3" stroke="#2a323c" />
                <XAxis dataKey="t" type="number" domain={["dataMin", "dataMax"]} tickFormatter={(t: number) => new Date(t).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })} stroke="#8b949e" fontSize={11} />
                <YAxis allowDecimals={false} stroke="#8b949e" fontSize={11} width={40} />
                <Tooltip labelFormatter={(t) => new Date(Number(t)).toLocaleString()} contentStyle={{ background: "#171d24", border: "1px solid #2a323c" }} />
                <Legend wrapperStyle={{ fontSize: 11 }} />
                {/* a function, not the key as text: recharts reads a text dataKey as a path, and names hold dots */}
                {chart.keys.map((k, i) => (
                  <Bar key={k} dataKey={(row: Record<string, number>) => row[k] ?? 0} stackId="stack" fill={stackColour(chartBy, k, i)} name={stackLabel(chartBy, k)} isAnimationActive={false} />
                ))}
              </BarChart>
            </ResponsiveContainer>
          ) : (
            <p className="muted small">No workflow started in the last {range}.</p>
          )}
        </div>
      ) : null}
      <PagedList query={pages} count={items.length} what="workflows" empty={`No workflow matches in the last ${range}. Workflows are joined by the business keys in WORKFLOW_KEYS (order.id, payment.id and the Kafka message key by default).`}>
        <div className="table-scroll">
          <table className="grid-table" data-testid="workflows-table">
            <thead>
              <tr>
                <th>Workflow</th>
                <th>Key</th>
                <th>State</th>
                <th>Waiting on</th>
                <th>Started</th>
                <th>Last activity</th>
                <th>Evidence</th>
              </tr>
            </thead>
            <tbody>
              {items.map((w) => (
                <tr key={w.id}>
                  <td>
                    <AppLink href={`/workflows/${w.id}`}>{w.name || "(unnamed)"}</AppLink>
                  </td>
                  <td className="small truncate" title={`${w.keyName} = ${w.key}`}>
                    {w.key}
                  </td>
                  <td>
                    <StateBadge state={w.state} stuck={w.stuck} />
                  </td>
                  <td>
                    <WaitingOn w={w.waitingOn} />
                  </td>
                  <td className="nowrap">
                    <Time value={w.startedAt} relative />
                  </td>
                  <td className="nowrap">
                    <Time value={w.lastActivityAt} relative />
                  </td>
                  <td className="small">
                    {w.traceIds[0] ? <AppLink href={`/traces/${w.traceIds[0]}?stitch=1`}>trace</AppLink> : null}
                    {w.deadLetterIds.map((id) => (
                      <span key={id}>
                        {" · "}
                        <AppLink href={`/dead-letters/${id}`}>dead letter {id}</AppLink>
                      </span>
                    ))}
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
