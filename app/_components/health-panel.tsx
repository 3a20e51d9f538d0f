"use client";

import { useQuery } from "@tanstack/react-query";
import { groupHealth, systemLabel } from "@/lib/health-view";
import { healthQuery } from "./queries";

function ago(iso: string | undefined, now: number): string {
  if (!iso) return "never";
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  return s < 60 ? `${s} s ago` : `${Math.round(s / 60)} min ago`;
}

export function HealthPanel() {
  const { data, error, dataUpdatedAt, isFetching } = useQuery(healthQuery);
  if (!data) {
    return <p className="muted">{error ? `Cannot reach the dashboard API: ${error.message}` : "Loading health..."}</p>;
  }
  const groups = groupHealth(data.sources);
  return (
    <section aria-label="System health">
      <div className="summary" data-testid="overall-status" data-status={data.status}>
        <span className={`dot ${data.status === "ok" ? "ok" : "bad"}`} aria-hidden />
        {data.status === "ok" ? "All systems healthy" : `${data.sources.filter((s) => !s.healthy).length} of ${data.sources.length} sources unhealthy`}
        <span className="muted small">
          {" "}
          · updated {ago(new Date(dataUpdatedAt).toISOString(), Date.now())}
          {isFetching ? " · refreshing" : ""}
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
                  <div className="muted small">checked {ago(s.checkedAt ?? data.checkedAt, Date.parse(data.checkedAt))}</div>
                </li>
              ))}
            </ul>
          </div>
        ))}
      </div>
    </section>
  );
}
