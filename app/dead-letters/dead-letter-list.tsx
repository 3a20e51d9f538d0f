"use client";

import { keepPreviousData, useInfiniteQuery } from "@tanstack/react-query";
import { fetchEndpoint } from "@/app/_components/fetch-json";
import { PagedList } from "@/app/_components/paged-list";
import { RefreshControl, useAutoRefresh } from "@/app/_components/refresh-select";
import { AppLink, Time } from "@/app/_components/time";
import { useScrollAnchor } from "@/app/_components/scroll-anchor";
import { useUrlState } from "@/app/_components/use-url-state";
import { useRef } from "react";
import { deadLetterLinks } from "@/lib/dead-letter-links";
import type * as api from "@/lib/api/contracts/dead-letters";
import type { ResponseOf } from "@/lib/api/endpoint";
import { deadLetterStatuses } from "@/lib/dead-letters";
import { FailureGroups, groupFilterKeys } from "./failure-groups";

type DeadLetterList = ResponseOf<typeof api.listDeadLetters>;
type Item = DeadLetterList["items"][number];

/** The Kafka key as text when it is text, else base64, marked; hostile either way, so only ever a text node. */
function KeyCell({ k }: { k: Item["key"] }) {
  if (!k) return <span className="muted">—</span>;
  const shown = k.text ?? k.base64;
  return (
    <span className="key" title={`${k.sizeBytes} byte${k.sizeBytes === 1 ? "" : "s"}${k.text === null ? ", binary, shown as base64" : ""}${k.truncated ? ", first 256 shown" : ""}`} data-testid="dl-key">
      {k.text === null ? <span className="tag">base64</span> : null}
      {shown.length > 40 ? `${shown.slice(0, 40)}…` : shown}
    </span>
  );
}

export function DeadLetterListView() {
  const url = useUrlState();
  const refresh = useAutoRefresh(10);
  const filter = new URLSearchParams();
  for (const k of [...groupFilterKeys, "group"]) if (url.get(k)) filter.set(k, url.get(k));
  const pages = useInfiniteQuery({
    queryKey: ["dead-letters", filter.toString()],
    initialPageParam: "",
    queryFn: async ({ pageParam, signal }): Promise<DeadLetterList> => {
      const qs = new URLSearchParams(filter);
      if (pageParam) qs.set("cursor", pageParam);
      return fetchEndpoint<typeof api.listDeadLetters>("/api/v1/dead-letters", { query: qs, signal });
    },
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    refetchInterval: refresh.refetchInterval,
    refetchOnWindowFocus: !refresh.paused,
    placeholderData: keepPreviousData,
  });
  const { data, isFetching, isFetchingNextPage } = pages;
  const items = data?.pages.flatMap((p) => p.items) ?? [];
  const list = useRef<HTMLElement>(null);
  useScrollAnchor(list, data);
  return (
    <section ref={list}>
      <div className="toolbar">
        <select aria-label="System" value={url.get("system")} onChange={(e) => url.set({ system: e.target.value })}>
          <option value="">all systems</option>
          <option value="kafka">Kafka</option>
          <option value="rabbitmq">RabbitMQ</option>
        </select>
        <select aria-label="Status" value={url.get("status")} onChange={(e) => url.set({ status: e.target.value })}>
          <option value="">any status</option>
          {deadLetterStatuses.map((s) => (
            <option key={s}>{s}</option>
          ))}
        </select>
        <input aria-label="Source" placeholder="topic or queue (shop.*, *.DLT)" title="the start of a topic or queue name, or a glob: * any run of characters, ? one" defaultValue={url.get("source")} onChange={(e) => url.set({ source: e.target.value })} />
        <input aria-label="Search" type="search" placeholder="order id, key, header, payload, error…" defaultValue={url.get("q")} onChange={(e) => url.set({ q: e.target.value })} size={30} />
        <RefreshControl state={refresh} busy={isFetching && !isFetchingNextPage} />
      </div>
      <FailureGroups refetchInterval={refresh.refetchInterval} paused={refresh.paused} />
      <h2>{url.get("group") ? "Dead letters of the chosen group" : "Dead letters"}</h2>
      <PagedList query={pages} count={items.length} what="dead letters" empty="No dead letters match.">
        <div className="table-scroll">
          <table className="grid-table dl-table" data-testid="dead-letters-table">
            <thead>
              <tr>
                <th>Died</th>
                <th>Source</th>
                <th>Original destination</th>
                <th>Key</th>
                <th>Reason · error</th>
                <th className="num">Deaths</th>
                <th className="num">Size</th>
                <th>Status</th>
              </tr>
            </thead>
            <tbody>
              {items.map((d) => {
                const links = deadLetterLinks(d);
                return (
                  <tr key={d.id} data-testid={`dead-letter-${d.id}`} data-anchor={d.id}>
                    <td className="nowrap">
                      <AppLink href={`/dead-letters/${d.id}`} aria-label={`dead letter #${d.id}`}>
                        <Time value={d.deadAt} />
                      </AppLink>
                      <div className="muted small">
                        <Time value={d.deadAt} relative />
                      </div>
                    </td>
                    <td className="dl-name">
                      <span className="tag">{d.system === "kafka" ? "Kafka" : "RabbitMQ"}</span>
                      <AppLink href={links.source} data-testid="dl-source">
                        {d.source}
                      </AppLink>
                      {d.vhost && d.vhost !== "/" ? <div className="muted small">vhost {d.vhost}</div> : null}
                    </td>
                    <td className="dl-name">
                      {d.originalDestination === null ? (
                        <span className="muted">—</span>
                      ) : links.destination ? (
                        <AppLink href={links.destination} data-testid="dl-destination">
                          {d.originalDestination}
                        </AppLink>
                      ) : (
                        d.originalDestination
                      )}
                      {d.consumerGroup ? <div className="muted small">group {d.consumerGroup}</div> : null}
                    </td>
                    <td>
                      <KeyCell k={d.key} />
                    </td>
                    <td className="dl-error" title={[d.reason, d.errorType, d.errorMessage].filter(Boolean).join(" · ")}>
                      {d.reason ? <span className="tag">{d.reason}</span> : null}
                      {d.errorType ? `${d.errorType.split(".").pop()}: ` : ""}
                      {d.errorMessage ?? ""}
                    </td>
                    <td className="num">{d.deathCount}</td>
                    <td className="num nowrap">{d.sizeBytes.toLocaleString("en-US")} B</td>
                    <td>{d.status}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      </PagedList>
    </section>
  );
}
