"use client";

import { useQuery } from "@tanstack/react-query";
import { fetchEndpoint, retryUnlessClientError } from "@/app/_components/fetch-json";
import { QueryError, StaleNotice, Loading } from "@/app/_components/query-state";
import { AppLink, Time } from "@/app/_components/time";
import type * as api from "@/lib/api/contracts/replays";
import type { ResponseOf } from "@/lib/api/endpoint";
import { replayProgress, stillChanging } from "@/lib/replay/progress";
import { ProgressBar, ProgressLegend } from "../progress-bar";
import { RateText } from "../replay-list";
import { ReplayStatusBadge } from "../replay-status";
import { PlanTables } from "../plan-tables";
import { ReplayControls } from "./replay-controls";
import { ReplayItems } from "./replay-items";

export type Replay = ResponseOf<typeof api.getReplay>;

/** While a replay can still change, its page asks for it every second. */
const pollMs = 1_000;

export const replayQueryKey = (id: number) => ["replay", id] as const;

/** What was replayed, as text and links: ids, a failure group, or a filter. */
function SelectionText({ selection }: { selection: Record<string, unknown> }) {
  const group = typeof selection.groupId === "string" && /^[0-9a-f]{16}$/.test(selection.groupId) ? selection.groupId : null;
  if (group) return <AppLink href={`/dead-letters?group=${group}`}>failure group {group}</AppLink>;
  const ids = Array.isArray(selection.ids) ? selection.ids.filter((x): x is number => typeof x === "number") : null;
  if (ids) {
    const count = typeof selection.count === "number" ? selection.count : ids.length;
    return (
      <span>
        {count === 1 ? "dead letter " : `${count.toLocaleString("en-US")} dead letters: `}
        {ids.slice(0, 10).map((i, n) => (
          <span key={i}>
            {n > 0 ? ", " : ""}
            <AppLink href={`/dead-letters/${i}`}>#{i}</AppLink>
          </span>
        ))}
        {count > 10 ? "…" : ""}
      </span>
    );
  }
  const filter = selection.filter && typeof selection.filter === "object" ? (selection.filter as Record<string, unknown>) : {};
  const text = JSON.stringify(filter);
  return <span title={text}>{text === "{}" ? "every dead letter" : `matching ${text.length > 200 ? `${text.slice(0, 200)}…` : text}`}</span>;
}

export function ReplayView({ id }: { id: number }) {
  const q = useQuery({
    queryKey: replayQueryKey(id),
    queryFn: ({ signal }) => fetchEndpoint<typeof api.getReplay>("/api/v1/replays/{id}", { params: { id: String(id) }, signal }),
    // after done too, while confirmed items wait for their consumer's span (processed and failed again come later)
    refetchInterval: (query) => (query.state.data && stillChanging(query.state.data, Date.now()) ? pollMs : false),
    retry: (n, e: Error) => retryUnlessClientError(n, e),
  });
  if (q.error && !q.data) return <QueryError error={q.error} what={`replay #${id}`} backHref="/replays" backLabel="All replays" />;
  if (!q.data) return <Loading what={`replay #${id}`} />;
  const r = q.data;
  const progress = replayProgress(r);
  const fields: [string, React.ReactNode][] = [
    ["state", <ReplayStatusBadge key="s" status={r.status} />],
    ["what", <SelectionText key="w" selection={r.selection} />],
    ["destination", r.destination ?? "each dead letter's own"],
    ["rate", <RateText key="r" r={r} />],
    ["force", r.force ? "yes: replayed and over-the-limit messages are sent again" : "no"],
    ["requested by", r.requestedBy],
    ["requested", <Time key="q" value={r.requestedAt} />],
    ["started", r.startedAt ? <Time key="st" value={r.startedAt} /> : null],
    ["finished", r.finishedAt ? <Time key="f" value={r.finishedAt} /> : null],
  ];
  return (
    <>
      <StaleNotice error={q.error} />
      {r.dryRun ? <p className="muted">A dry run: this plan was computed and nothing was sent.</p> : null}
      {r.status === "pending" ? (
        <p className="muted" data-testid="replay-pending">
          Waiting for the collectors to pick it up (they hold the broker connections).
        </p>
      ) : null}
      {r.error ? (
        <p className="error" role="alert" data-testid="replay-error">
          {r.error}
        </p>
      ) : null}
      <ReplayControls replay={r} />
      <dl className="fields" data-testid="replay-fields">
        {fields.map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd>{v ?? "—"}</dd>
          </div>
        ))}
      </dl>
      <h2>Progress</h2>
      <ProgressBar progress={progress} />
      <ProgressLegend progress={progress} />
      <div className="stats" data-testid="replay-counts">
        {(
          [
            ["total", r.total],
            ["sent", r.sent],
            ["confirmed", r.confirmed],
            ["processed", r.processed],
            ["failed again", r.failedAgain],
            ["not observed", r.notObserved],
            ["skipped", r.skipped],
            ["uncertain", r.uncertain],
            ["cancelled", r.cancelled],
            ["remaining", r.remaining],
          ] as const
        ).map(([k, v]) => (
          <div key={k} data-count={k}>
            <span className="muted small">{k}</span>
            <strong>{v.toLocaleString("en-US")}</strong>
          </div>
        ))}
      </div>
      {r.uncertain > 0 ? (
        <p className="muted small">
          Uncertain: RabbitMQ messages caught mid-send by a restart and sent again with the same message id; a consumer that does not drop duplicates may have seen them twice.
        </p>
      ) : null}
      <h2>Plan</h2>
      <PlanTables plan={r.plan} />
      {r.dryRun ? null : <ReplayItems id={id} active={stillChanging(r, Date.now())} />}
    </>
  );
}
