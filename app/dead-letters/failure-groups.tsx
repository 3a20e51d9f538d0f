"use client";

import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Fragment, useState } from "react";
import { ApiError, fetchEndpoint, sendJson } from "@/app/_components/fetch-json";
import { useMe } from "@/app/_components/me";
import { Loading, QueryError, StaleNotice } from "@/app/_components/query-state";
import { Sparkline } from "@/app/_components/sparkline";
import { Time } from "@/app/_components/time";
import { useUrlState } from "@/app/_components/use-url-state";
import type * as api from "@/lib/api/contracts/dead-letters";
import type { ResponseOf } from "@/lib/api/endpoint";
import { deadLetterStatuses, discardableStatuses } from "@/lib/dead-letters";
import { groupFilterKeys } from "./filter-body";
import { ReplayPanel } from "./replay-panel";

/**
 * Failure groups, largest first: what failed the same way, with count, first and last seen, a 24-hour trend and the
 * status counts. Choosing one narrows the list below to it (`?group=` in the URL).
 */
export function FailureGroups({ refetchInterval, paused }: { refetchInterval: number | false; paused: boolean }) {
  const url = useUrlState();
  const filter = new URLSearchParams();
  for (const k of groupFilterKeys) if (url.get(k)) filter.set(k, url.get(k));
  const groups = useQuery({
    queryKey: ["dead-letter-groups", filter.toString()],
    queryFn: ({ signal }) => fetchEndpoint<typeof api.listFailureGroups>("/api/v1/dead-letters/groups", { query: filter, signal }),
    refetchInterval,
    refetchOnWindowFocus: !paused,
    placeholderData: keepPreviousData,
  });
  const chosen = url.get("group");
  const [replaying, setReplaying] = useState<string | null>(null);
  const me = useMe();
  const client = useQueryClient();
  const act = useMutation({
    mutationFn: (a: { verb: "discard" | "restore"; groupId: string; reason?: string }) =>
      sendJson<ResponseOf<typeof api.discardDeadLetters>>("POST", `/api/v1/dead-letters/${a.verb}`, a.verb === "discard" ? { groupId: a.groupId, reason: a.reason } : { groupId: a.groupId }),
    onSettled: () => void client.invalidateQueries(),
  });
  // a link the API refuses: the list below says why, once
  if (groups.error && !groups.data) return groups.error instanceof ApiError && groups.error.isClientError ? null : <QueryError error={groups.error} what="failure groups" />;
  if (!groups.data) return <Loading what="failure groups" />;
  const items = groups.data.items;
  const failed = act.isError ? act.error.message : null;
  const canDiscard = me.data?.can.discard ?? false;
  const canReplay = me.data?.can.replay ?? false;
  return (
    <section aria-label="Failure groups" data-testid="failure-groups">
      <h2>Failure groups</h2>
      <StaleNotice error={groups.error} />
      {failed ? (
        <p role="alert" className="error">
          {failed}
        </p>
      ) : null}
      {items.length === 0 ? (
        <p className="muted">No dead letters match.</p>
      ) : (
        <div className="table-scroll">
          <table className="grid-table dl-table">
            <thead>
              <tr>
                <th className="num">Count</th>
                <th>Original destination</th>
                <th>Reason · exception · message</th>
                <th>First seen</th>
                <th>Last seen</th>
                <th>24 h</th>
                <th>Status</th>
                {canDiscard || canReplay ? <th>Actions</th> : null}
              </tr>
            </thead>
            <tbody>
              {items.map((g) => {
                const discardable = discardableStatuses.reduce((a, s) => a + g.statusCounts[s], 0);
                return (
                  <Fragment key={g.id}>
                    <tr data-testid={`group-${g.id}`} aria-selected={chosen === g.id}>
                      <td className="num">
                        <button type="button" className="link-button" onClick={() => url.set({ group: chosen === g.id ? null : g.id })} aria-pressed={chosen === g.id} title={chosen === g.id ? "show all groups' dead letters" : "show this group's dead letters"}>
                          {g.count.toLocaleString("en-US")}
                        </button>
                      </td>
                      <td className="dl-name" title={g.sources.join(", ")}>
                        <span className="tag">{g.system === "kafka" ? "Kafka" : "RabbitMQ"}</span>
                        {g.originalDestination ?? <span className="muted">unknown</span>}
                      </td>
                      <td className="dl-error" title={g.example ?? ""}>
                        {g.reason ? <span className="tag">{g.reason}</span> : null}
                        {g.errorType ? `${g.errorType.split(".").pop()}: ` : ""}
                        {g.message || <span className="muted">no message</span>}
                      </td>
                      <td className="nowrap">
                        <Time value={g.firstSeen} relative />
                      </td>
                      <td className="nowrap">
                        <Time value={g.lastSeen} relative />
                      </td>
                      <td>
                        <Sparkline values={g.trend} label={`deaths per hour over 24 hours: ${g.trend.join(", ")}`} />
                      </td>
                      <td className="small nowrap">
                        {deadLetterStatuses
                          .filter((s) => g.statusCounts[s] > 0)
                          .map((s) => `${s} ${g.statusCounts[s]}`)
                          .join(" · ")}
                      </td>
                      {canDiscard || canReplay ? (
                        <td className="nowrap">
                          {canReplay ? (
                            <button type="button" className="chip" data-testid="replay-group" aria-expanded={replaying === g.id} onClick={() => setReplaying(replaying === g.id ? null : g.id)}>
                              replay…
                            </button>
                          ) : null}
                          {canDiscard && discardable > 0 ? (
                            <button
                              type="button"
                              className="chip"
                              data-testid="discard-group"
                              disabled={act.isPending}
                              onClick={() => {
                                const reason = window.prompt(`Discard the ${discardable} new, replayed and failed-again dead letters of this group? They stay stored and can be restored. Why?`);
                                if (reason?.trim()) act.mutate({ verb: "discard", groupId: g.id, reason: reason.trim().slice(0, 500) });
                              }}
                            >
                              discard
                            </button>
                          ) : null}
                          {canDiscard && g.statusCounts.discarded > 0 ? (
                            <button type="button" className="chip" data-testid="restore-group" disabled={act.isPending} onClick={() => act.mutate({ verb: "restore", groupId: g.id })}>
                              restore
                            </button>
                          ) : null}
                        </td>
                      ) : null}
                    </tr>
                    {canReplay && replaying === g.id ? (
                      <tr data-testid={`group-replay-${g.id}`}>
                        <td colSpan={8}>
                          <ReplayPanel selection={{ groupId: g.id }} onClose={() => setReplaying(null)} />
                        </td>
                      </tr>
                    ) : null}
                  </Fragment>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
