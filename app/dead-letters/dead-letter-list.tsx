"use client";

import { keepPreviousData, useInfiniteQuery } from "@tanstack/react-query";
import { fetchEndpoint } from "@/app/_components/fetch-json";
import { PagedList } from "@/app/_components/paged-list";
import { RefreshControl, useAutoRefresh } from "@/app/_components/refresh-select";
import { AppLink, Time } from "@/app/_components/time";
import { useScrollAnchor } from "@/app/_components/scroll-anchor";
import { useUrlState } from "@/app/_components/use-url-state";
import { useRef, useState } from "react";
import { useMe } from "@/app/_components/me";
import { deadLetterLinks } from "@/lib/dead-letter-links";
import type * as api from "@/lib/api/contracts/dead-letters";
import type { ResponseOf } from "@/lib/api/endpoint";
import { deadLetterStatuses } from "@/lib/dead-letters";
import { FailureGroups } from "./failure-groups";
import { filterBodyOf, groupFilterKeys } from "./filter-body";
import { ReplayPanel } from "./replay-panel";
import { SelectionActions, useMatchingCount } from "./selection-bar";

type DeadLetterList = ResponseOf<typeof api.listDeadLetters>;
type Item = DeadLetterList["items"][number];

/** The Kafka key as text when it is text, else base64, marked; hostile either way, so only ever a text node. */
function KeyCell({ k }: { k: Item["key"] }) {
  if (!k) return <span className="muted">—</span>;
  const shown = k.text ?? k.base64;
  return (
    <span className="key" title={`${shown}\n(${k.sizeBytes} byte${k.sizeBytes === 1 ? "" : "s"}${k.text === null ? ", binary, shown as base64" : ""}${k.truncated ? ", first 256 shown" : ""})`} data-testid="dl-key">
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
  const me = useMe();
  const canReplay = me.data?.can.replay ?? false;
  const canDiscard = me.data?.can.discard ?? false;
  const canAct = canReplay || canDiscard;
  // the selection belongs to one filter: a new filter starts with none
  const filterKey = filter.toString();
  const [picked, setPicked] = useState<{ key: string; ids: Set<number>; allMatching: boolean }>({ key: filterKey, ids: new Set(), allMatching: false });
  const sel = picked.key === filterKey ? picked : { key: filterKey, ids: new Set<number>(), allMatching: false };
  const [replayAll, setReplayAll] = useState(false);
  const filterBody = filterBodyOf(url.get);
  const pageIds = items.map((d) => d.id);
  const wholePage = pageIds.length > 0 && pageIds.every((id) => sel.allMatching || sel.ids.has(id));
  const more = pages.hasNextPage;
  const matching = useMatchingCount(filterBody, canReplay && wholePage && more);
  const matchingCount = more ? (matching.data ?? null) : pageIds.length;
  const toggle = (id: number, on: boolean) => {
    const ids = new Set(sel.allMatching ? pageIds : sel.ids);
    if (on) ids.add(id);
    else ids.delete(id);
    setPicked({ key: filterKey, ids, allMatching: false });
  };
  const selectPage = (on: boolean) => setPicked({ key: filterKey, ids: on ? new Set(pageIds) : new Set(), allMatching: false });
  const clear = () => setPicked({ key: filterKey, ids: new Set(), allMatching: false });
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
            <option key={s} value={s}>
              {s.replace("_", " ")}
            </option>
          ))}
        </select>
        <input aria-label="Source" placeholder="topic or queue (shop.*, *.DLT)" title="the start of a topic or queue name, or a glob: * any run of characters, ? one" defaultValue={url.get("source")} onChange={(e) => url.set({ source: e.target.value })} />
        <input aria-label="Search" type="search" placeholder="order id, key, header, payload, error…" defaultValue={url.get("q")} onChange={(e) => url.set({ q: e.target.value })} size={30} />
        <RefreshControl state={refresh} busy={isFetching && !isFetchingNextPage} />
      </div>
      <FailureGroups refetchInterval={refresh.refetchInterval} paused={refresh.paused} />
      <h2>{url.get("group") ? "Dead letters of the chosen group" : "Dead letters"}</h2>
      {canReplay ? (
        <p className="actions">
          <button type="button" data-testid="replay-all-matching" aria-expanded={replayAll} onClick={() => setReplayAll(!replayAll)}>
            Replay everything matching the filter…
          </button>
        </p>
      ) : null}
      {canReplay && replayAll ? <ReplayPanel key={JSON.stringify(filterBody)} selection={{ filter: filterBody }} onClose={() => setReplayAll(false)} /> : null}
      {canAct ? (
        <>
          {wholePage && more && !sel.allMatching ? (
            <p className="small" data-testid="select-all-matching-offer">
              All {pageIds.length.toLocaleString("en-US")} shown are selected.{" "}
              <button type="button" className="link-button" data-testid="select-all-matching" onClick={() => setPicked({ key: filterKey, ids: new Set(), allMatching: true })}>
                {matchingCount === null ? (canReplay && matching.isFetching ? "Select all matching (counting…)" : "Select all matching the filter") : `Select all ${matchingCount.toLocaleString("en-US")} matching`}
              </button>
              {matching.isError ? <span className="error"> {matching.error.message}</span> : null}
            </p>
          ) : null}
          <SelectionActions selection={{ ids: [...sel.ids], allMatching: sel.allMatching }} filter={filterBody} count={sel.allMatching ? matchingCount : null} canReplay={canReplay} canDiscard={canDiscard} onDone={clear} />
        </>
      ) : null}
      <PagedList query={pages} count={items.length} what="dead letters" empty="No dead letters match.">
        <div className="table-scroll">
          <table className="grid-table dl-table" data-testid="dead-letters-table">
            <thead>
              <tr>
                {canAct ? (
                  <th>
                    <input type="checkbox" aria-label="select all on page" data-testid="select-page" checked={wholePage} onChange={(e) => selectPage(e.target.checked)} />
                  </th>
                ) : null}
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
                    {canAct ? (
                      <td>
                        <input type="checkbox" aria-label={`select dead letter #${d.id}`} data-testid="select-row" checked={sel.allMatching || sel.ids.has(d.id)} onChange={(e) => toggle(d.id, e.target.checked)} />
                      </td>
                    ) : null}
                    <td className="nowrap">
                      <AppLink href={`/dead-letters/${d.id}`} aria-label={`dead letter #${d.id}`}>
                        <Time value={d.deadAt} />
                      </AppLink>
                      <div className="muted small">
                        <Time value={d.deadAt} relative />
                      </div>
                    </td>
                    <td className="dl-clip" title={`${d.source}${d.vhost && d.vhost !== "/" ? ` (vhost ${d.vhost})` : ""}`}>
                      <span className="tag">{d.system === "kafka" ? "Kafka" : "RabbitMQ"}</span>
                      <AppLink href={links.source} data-testid="dl-source">
                        {d.source}
                      </AppLink>
                      {d.vhost && d.vhost !== "/" ? <div className="muted small">vhost {d.vhost}</div> : null}
                    </td>
                    <td className="dl-clip" title={[d.originalDestination, d.consumerGroup ? `group ${d.consumerGroup}` : null].filter(Boolean).join("\n")}>
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
                    <td className="nowrap" data-testid="dl-status">
                      {d.status.replace("_", " ")}
                    </td>
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
