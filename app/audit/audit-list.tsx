"use client";

import { keepPreviousData, useInfiniteQuery } from "@tanstack/react-query";
import { fetchJson } from "@/app/_components/fetch-json";
import { PagedList } from "@/app/_components/paged-list";
import { AppLink, Time } from "@/app/_components/time";
import { useUrlState } from "@/app/_components/use-url-state";
import type { listAudit } from "@/lib/api/contracts/audit";
import type { ResponseOf } from "@/lib/api/endpoint";
import { auditOutcomes } from "@/lib/audit";

type AuditPage = ResponseOf<typeof listAudit>;
const filters = ["actor", "action", "targetType", "targetId", "outcome", "from", "to"] as const;

/** Details as one line of text (hostile values stay text: React renders strings, never markup). */
function detailsText(d: Record<string, unknown>): string {
  const s = JSON.stringify(d);
  return s === "{}" ? "" : s.length > 300 ? `${s.slice(0, 300)}…` : s;
}

export function AuditList() {
  const url = useUrlState();
  const api = new URLSearchParams();
  for (const k of filters) if (url.get(k)) api.set(k, url.get(k));
  const query = useInfiniteQuery({
    queryKey: ["audit", api.toString()],
    initialPageParam: "",
    queryFn: ({ pageParam, signal }) => {
      const qs = new URLSearchParams(api);
      if (pageParam) qs.set("cursor", pageParam);
      return fetchJson<AuditPage>(`/api/v1/audit?${qs}`, signal);
    },
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    refetchInterval: 10_000,
    placeholderData: keepPreviousData,
  });
  const items = query.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <section>
      <div className="toolbar">
        <input aria-label="Actor" placeholder="actor" defaultValue={url.get("actor")} onChange={(e) => url.set({ actor: e.target.value })} />
        <input aria-label="Action" placeholder="action (session.sign_in, read…)" defaultValue={url.get("action")} onChange={(e) => url.set({ action: e.target.value })} />
        <input aria-label="Target type" placeholder="target type" defaultValue={url.get("targetType")} onChange={(e) => url.set({ targetType: e.target.value })} />
        <input aria-label="Target id" placeholder="target id" defaultValue={url.get("targetId")} onChange={(e) => url.set({ targetId: e.target.value })} />
        <select aria-label="Outcome" value={url.get("outcome")} onChange={(e) => url.set({ outcome: e.target.value })}>
          <option value="">any outcome</option>
          {auditOutcomes.map((o) => (
            <option key={o}>{o}</option>
          ))}
        </select>
      </div>
      <PagedList query={query} count={items.length} what="the audit log" empty="No audit entries match.">
        <div className="table-scroll">
          <table className="grid-table" data-testid="audit-table">
            <thead>
              <tr>
                <th>When</th>
                <th>Actor</th>
                <th>Action</th>
                <th>Target</th>
                <th>Outcome</th>
                <th>Details</th>
                <th>From</th>
              </tr>
            </thead>
            <tbody>
              {items.map((a) => (
                <tr key={a.id} data-testid={`audit-${a.id}`}>
                  <td className="nowrap">
                    <Time value={a.at} />
                  </td>
                  <td>
                    <AppLink href={`/audit?actor=${encodeURIComponent(a.actor)}`}>{a.actor}</AppLink> <span className="muted small">{a.role}</span>
                  </td>
                  <td>
                    <AppLink href={`/audit?action=${encodeURIComponent(a.action)}`}>{a.action}</AppLink>
                  </td>
                  <td className="dl-name" title={a.targetId ?? ""}>
                    <span className="tag">{a.targetType}</span>
                    {a.href ? <AppLink href={a.href}>{a.targetId}</AppLink> : (a.targetId ?? "")}
                  </td>
                  <td className={a.outcome === "ok" ? "" : "error"}>{a.outcome}</td>
                  <td className="small" title={JSON.stringify(a.details)}>
                    {detailsText(a.details)}
                  </td>
                  <td className="small muted" title={a.requestId ?? ""}>
                    {a.clientAddress ?? ""}
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
