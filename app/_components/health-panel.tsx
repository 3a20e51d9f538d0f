"use client";

import { useQuery } from "@tanstack/react-query";
import { groupHealth, systemLabel } from "@/lib/health-view";
import { healthQuery } from "./queries";
import { QueryError } from "./query-state";
import { RefreshControl, useAutoRefresh } from "./refresh-select";
import { Time } from "./time";

export function HealthPanel() {
  const refresh = useAutoRefresh(5);
  const { data, error, dataUpdatedAt, isFetching } = useQuery({ ...healthQuery, refetchInterval: refresh.refetchInterval, refetchOnWindowFocus: !refresh.paused });
  if (!data) {
    return error ? <QueryError error={error} what="system health" /> : <p className="muted">Loading health…</p>;
  }
  const groups = groupHealth(data.sources);
  return (
    <section aria-label="System health">
      <div className="toolbar">
        <RefreshControl state={refresh} busy={isFetching} />
      </div>
      <div className="summary" data-testid="overall-status" data-status={data.status}>
        <span className={`dot ${data.status === "ok" ? "ok" : "bad"}`} aria-hidden />
        {data.status === "ok" ? "All sources healthy" : `${data.sources.filter((s) => !s.healthy).length} of ${data.sources.length} sources unhealthy`}
        <span className="muted small">
          {" "}
          · updated <Time value={dataUpdatedAt} relative />
          {error ? ` · last refresh failed: ${error.message}` : ""}
        </span>
      </div>
      <div className="grid">
        {groups.map((g) => (
          <div key={g.system} className="card">
            <h2>{systemLabel(g.system)}</h2>
            <ul className="sources">
              {g.sources.map((s) => (
                <li key={`${s.system}/${s.name}`} data-testid={`source-${s.system}-${s.name}`} data-healthy={String(s.healthy)}>
                  <span className={`dot ${s.healthy ? "ok" : "bad"}`} aria-hidden />
                  <strong>{s.name}</strong> <span className={s.healthy ? "ok-text" : "bad-text"}>{s.healthy ? "healthy" : "unhealthy"}</span>
                  {s.error ? <div className="error">{s.error}</div> : null}
                  <div className="muted small">
                    checked <Time value={s.checkedAt ?? data.checkedAt} relative />
                  </div>
                </li>
              ))}
            </ul>
          </div>
        ))}
      </div>
    </section>
  );
}
