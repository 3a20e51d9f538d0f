"use client";

import { fetchEndpoint } from "@/app/_components/fetch-json";
import { Loading, QueryError, StaleNotice } from "@/app/_components/query-state";
import { AppLink } from "@/app/_components/time";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import type * as api from "@/lib/api/contracts/rabbitmq";
import { sparkline } from "@/lib/charts/lag-series";
import { formatDuration } from "@/lib/kafka/view";
import { Sparkline } from "../_components/sparkline";
import { RefreshControl, useAutoRefresh } from "../_components/refresh-select";
import { SortHeaders } from "../_components/sort-headers";
import { useScrollAnchor } from "../_components/scroll-anchor";
import { useUrlState } from "../_components/use-url-state";
import { useRef } from "react";
import { captureModeText } from "@/lib/rabbitmq/view";
import { rabbitQueueDeadLettersHref, rabbitQueueHref } from "@/lib/dead-letter-links";

const columns: [key: string, label: string][] = [
  ["name", "Queue"],
  ["ready", "Ready"],
  ["unacked", "Unacked"],
  ["consumers", "Consumers"],
  ["publishRate", "In /s"],
  ["deliverRate", "Out /s"],
  ["growth", "Growth /s"],
];

export const queueHref = (q: { broker: string; vhost: string; name: string }) => rabbitQueueHref(q.broker, q.vhost, q.name);

const rate = (v: number | null) => (v === null ? "—" : v.toFixed(1));

export function QueuesOverview() {
  const url = useUrlState();
  const sort = url.get("sort") || "ready";
  const dir = url.get("dir") || "desc";
  const query = new URLSearchParams();
  for (const k of ["q", "broker", "dlq", "problems", "sort", "dir"]) if (url.get(k)) query.set(k, url.get(k));
  const refresh = useAutoRefresh(5);
  const { data, error, isFetching } = useQuery({
    queryKey: ["queues", query.toString()],
    queryFn: ({ signal }) => fetchEndpoint<typeof api.listQueues>("/api/v1/rabbitmq/queues", { query, signal }),
    refetchInterval: refresh.refetchInterval,
    refetchOnWindowFocus: !refresh.paused,
    placeholderData: keepPreviousData,
  });
  const sortBy = (key: string) => url.set({ sort: key, dir: sort === key && dir === "desc" ? "asc" : "desc" });
  const list = useRef<HTMLElement>(null);
  useScrollAnchor(list, data);
  return (
    <section ref={list}>
      <div className="toolbar">
        <input aria-label="Filter queues" placeholder="filter queues…" defaultValue={url.get("q")} onChange={(e) => url.set({ q: e.target.value })} />
        <button type="button" className={url.get("dlq") ? "chip on" : "chip"} aria-pressed={!!url.get("dlq")} onClick={() => url.set({ dlq: url.get("dlq") ? null : "true" })}>
          dead-letter queues
        </button>
        <button type="button" className={url.get("problems") ? "chip on" : "chip"} aria-pressed={!!url.get("problems")} onClick={() => url.set({ problems: url.get("problems") ? null : "true" })}>
          needs attention
        </button>
        <RefreshControl state={refresh} busy={isFetching} />
      </div>
      {data ? <StaleNotice error={error} /> : null}
      {data?.overview.map((o) => {
        const t = o.totals;
        return (
          <p key={o.broker} className="muted small" data-testid={`overview-${o.broker}`}>
            <strong>{o.broker}</strong>:{" "}
            {t ? `${t.queues ?? "?"} queues · ${t.messages ?? "?"} messages · ${t.consumers ?? "?"} consumers · in ${rate(t.publishRate)}/s · out ${rate(t.deliverRate)}/s` : (o.error ?? "no totals yet")}
          </p>
        );
      })}
      {error && !data ? (
        <QueryError error={error} what="queues" />
      ) : !data ? (
        <Loading what="queues" />
      ) : data.items.length === 0 ? (
        <p className="muted">No queues match. The collectors poll every {data.pollIntervalMs / 1000} s.</p>
      ) : (
        <div className="table-scroll">
        <table className="grid-table" data-testid="queues-table">
          <thead>
            <tr>
              <SortHeaders columns={columns} sort={sort} dir={dir} onSort={sortBy} />
              <th>Drains in</th>
              <th>Dead letters go to / come from</th>
              <th>Last 15 min</th>
            </tr>
          </thead>
          <tbody>
            {data.items.map((q) => (
              <tr key={JSON.stringify([q.broker, q.vhost, q.name])} data-anchor={JSON.stringify([q.broker, q.vhost, q.name])} data-testid={`queue-${q.name}`} data-dlq={String(q.isDeadLetterQueue)}>
                <td>
                  <AppLink href={queueHref(q)}>{q.name}</AppLink> {q.isDeadLetterQueue ? <span className="badge badge-stall">DLQ</span> : null}{" "}
                  <span className="muted small">
                    {q.type}
                    {q.vhost !== "/" ? ` · ${q.vhost}` : ""}
                    {data.brokers.length > 1 ? ` · ${q.broker}` : ""}
                  </span>
                  {q.dlxMissing ? <div className="error small">dead-letter exchange '{q.deadLetterExchange}' does not exist: its dead letters are dropped</div> : null}
                </td>
                <td className="num" data-testid="ready">{q.ready ?? "—"}</td>
                <td className="num">{q.unacked ?? "—"}</td>
                <td className="num">{q.consumers ?? "—"}</td>
                <td className="num">{rate(q.publishRate)}</td>
                <td className="num">{rate(q.deliverRate)}</td>
                <td className="num">{rate(q.growthRate)}</td>
                <td className="num">{q.ready === 0 ? "empty" : q.drainEtaSeconds === null ? "not draining" : formatDuration(q.drainEtaSeconds)}</td>
                <td className="small">
                  {q.deadLetterTargets.map((t) => (
                    <div key={t}>
                      → <AppLink href={queueHref({ ...q, name: t })}>{t}</AppLink>
                    </div>
                  ))}
                  {q.deadLetterSources.map((s) => (
                    <div key={s} data-testid="dlq-source">
                      ← <AppLink href={queueHref({ ...q, name: s })}>{s}</AppLink>
                    </div>
                  ))}
                  {q.captureMode === "not-captured" ? (
                    <div className="error" data-testid="capture-mode">
                      {captureModeText(q.captureMode, q.captureError)}
                    </div>
                  ) : q.isDeadLetterQueue ? (
                    <AppLink href={rabbitQueueDeadLettersHref(q.broker, q.vhost, q.name)}>captured dead letters</AppLink>
                  ) : null}
                </td>
                <td>
                  <Sparkline values={sparkline(q.sparkline)} label={`ready messages in ${q.name} over the last 15 minutes`} />
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
