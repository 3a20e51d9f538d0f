"use client";

import dynamic from "next/dynamic";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { fetchEndpoint } from "@/app/_components/fetch-json";
import { Loading, QueryError, StaleNotice } from "@/app/_components/query-state";
import { AppLink } from "@/app/_components/time";
import { useUrlState } from "@/app/_components/use-url-state";
import type * as api from "@/lib/api/contracts/flows";
import { edgeLabel, edgeLinks, formatRate, formatSeconds, kindLabel, nodeLines, nodeLinks } from "@/lib/flows/view";
import { timeRangeMs, timeRangeOf, type TimeRange } from "@/lib/time-range";

import type { FlowGraphView } from "./types";

// the graph library (xyflow, elkjs) is loaded on this page only, and only in the browser
const FlowCanvas = dynamic(() => import("./flow-canvas").then((m) => m.FlowCanvas), { ssr: false, loading: () => <Loading what="the graph" /> });

const ranges: TimeRange[] = ["15m", "1h", "6h", "24h"];
const refreshMs = 10_000;

export function FlowMap() {
  const url = useUrlState();
  const range = timeRangeOf(url.get("range") || "15m");
  const focus = url.get("focus");
  const selected = url.get("sel");
  const { data, error, isFetching } = useQuery({
    queryKey: ["flows", range, focus],
    queryFn: ({ signal }) => {
      const to = new Date();
      const from = new Date(to.getTime() - timeRangeMs(range));
      return fetchEndpoint<typeof api.getFlows>("/api/v1/flows", { query: { from: from.toISOString(), to: to.toISOString(), focus: focus || null }, signal });
    },
    refetchInterval: (q) => (q.state.error && !q.state.data ? false : refreshMs),
    placeholderData: keepPreviousData,
  });
  if (error && !data) return <QueryError error={error} what="the flow map" />;
  if (!data) return <Loading what="the flow map" />;
  const services = data.nodes.filter((n) => n.kind === "service").map((n) => n.name);
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
        <select aria-label="Focus" value={focus} onChange={(e) => url.set({ focus: e.target.value, sel: null })}>
          <option value="">everything</option>
          {[...new Set([...services, ...(focus ? [focus] : [])])].sort().map((s) => (
            <option key={s} value={s}>
              only what touches {s}
            </option>
          ))}
        </select>
        <span className="muted small" aria-live="polite" data-testid="flows-summary">
          {data.nodes.length} nodes · {data.edges.length} edges · refreshes every {refreshMs / 1000} s{isFetching ? " · refreshing" : ""}
        </span>
      </div>
      <StaleNotice error={error} />
      {data.nodes.length === 0 ? (
        <p className="muted" data-testid="flows-empty">
          {focus ? `Nothing touches ${focus} in the last ${range}.` : `No traffic seen in the last ${range}: the map is drawn from the spans services export to the OTLP receiver, and from the brokers' lag and queues.`}
        </p>
      ) : (
        <div className="flow-layout">
          <FlowCanvas graph={data} selected={selected} onSelect={(id) => url.set({ sel: id })} />
          <SidePanel graph={data} selected={selected} range={range} onFocus={(s) => url.set({ focus: s, sel: null })} />
        </div>
      )}
    </section>
  );
}

function SidePanel({ graph, selected, range, onFocus }: { graph: FlowGraphView; selected: string; range: TimeRange; onFocus: (s: string) => void }) {
  const node = graph.nodes.find((n) => n.id === selected);
  const edge = node ? undefined : graph.edges.find((e) => e.id === selected);
  if (!node && !edge)
    return (
      <aside className="flow-panel muted small" data-testid="flow-panel">
        Click a node or an edge for its figures and links. Colours: green healthy, amber degraded, red failing, grey nothing seen.
      </aside>
    );
  if (node) {
    return (
      <aside className="flow-panel" data-testid="flow-panel">
        <h2 className="flow-panel-title">{node.name}</h2>
        <p className="muted small">
          {kindLabel[node.kind]}
          {node.system ? ` · ${node.system}` : ""} · <span className={`flow-health flow-${node.health}`}>{node.health}</span>
          {node.healthReason ? ` · ${node.healthReason}` : ""}
        </p>
        {nodeLines(node).map((l) => (
          <p key={l} className="small">
            {l}
          </p>
        ))}
        {node.lag?.length ? (
          <table className="grid-table small" data-testid="flow-node-lag">
            <thead>
              <tr>
                <th>group</th>
                <th className="num">lag</th>
                <th className="num">behind</th>
                <th>status</th>
              </tr>
            </thead>
            <tbody>
              {node.lag.map((l) => (
                <tr key={`${l.cluster}/${l.group}`}>
                  <td>{l.group}</td>
                  <td className="num">{l.messages?.toLocaleString("en-US") ?? "?"}</td>
                  <td className="num">{l.seconds === null ? "?" : formatSeconds(l.seconds)}</td>
                  <td>{l.status}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
        <ul className="flow-links">
          {nodeLinks(node, range).map((l) => (
            <li key={l.href}>
              <AppLink href={l.href}>{l.label}</AppLink>
            </li>
          ))}
          {node.kind === "service" ? (
            <li>
              <button type="button" className="link-button" onClick={() => onFocus(node.name)}>
                only what touches {node.name}
              </button>
            </li>
          ) : null}
        </ul>
      </aside>
    );
  }
  const e = edge!;
  const name = (id: string) => graph.nodes.find((n) => n.id === id)?.name ?? id;
  return (
    <aside className="flow-panel" data-testid="flow-panel">
      <h2 className="flow-panel-title">
        {name(e.source)} → {name(e.target)}
      </h2>
      <p className="muted small">
        {e.kind.replace("_", " ")}
        {e.group ? ` · group ${e.group}` : ""}
        {e.method ? ` · ${e.method}` : ""} · <span className={`flow-health flow-${e.health}`}>{e.health}</span>
      </p>
      <p className="small">{edgeLabel(e)}</p>
      <table className="grid-table small" data-testid="flow-edge-figures">
        <tbody>
          <tr>
            <th>coupling</th>
            <td>
              {e.coupling}
              {e.overridden ? " (configured)" : ""}
            </td>
          </tr>
          <tr>
            <th>intent</th>
            <td>{e.intent}</td>
          </tr>
          <tr>
            <th>rate</th>
            <td>
              {formatRate(e.rate)} ({e.count.toLocaleString("en-US")} in the range)
            </td>
          </tr>
          <tr>
            <th>errors</th>
            <td>
              {e.errors.toLocaleString("en-US")} ({(e.errorRate * 100).toFixed(2)}%)
            </td>
          </tr>
          <tr>
            <th>p50 / p95</th>
            <td>{e.p50Ms === null ? "–" : `${e.p50Ms} / ${e.p95Ms} ms`}</td>
          </tr>
        </tbody>
      </table>
      <ul className="flow-links">
        {edgeLinks(e, graph, range).map((l) => (
          <li key={l.href}>
            <AppLink href={l.href}>{l.label}</AppLink>
          </li>
        ))}
      </ul>
    </aside>
  );
}
