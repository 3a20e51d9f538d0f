"use client";

import { useQuery } from "@tanstack/react-query";
import { fetchEndpoint } from "@/app/_components/fetch-json";
import { Loading, QueryError } from "@/app/_components/query-state";
import { AppLink, Time } from "@/app/_components/time";
import type * as api from "@/lib/api/contracts/workflows";
import { StateBadge, WaitingOn } from "../workflow-list";

const kinds = ["", "internal", "server", "client", "producer", "consumer"];

/** One workflow: where it stands and why, and its steps across its traces in time order. */
export function WorkflowView({ id }: { id: number }) {
  const { data, error } = useQuery({
    queryKey: ["workflow", id],
    queryFn: ({ signal }) => fetchEndpoint<typeof api.getWorkflow>("/api/v1/workflows/{id}", { params: { id: String(id) }, signal }),
    refetchInterval: (q) => (q.state.error ? false : 10_000),
  });
  if (error && !data) return <QueryError error={error} what="the workflow" backHref="/workflows" backLabel="Back to the workflows" />;
  if (!data) return <Loading what="the workflow" />;
  const t0 = data.steps.length ? Date.parse(data.steps[0]!.start) : 0;
  return (
    <>
      <h1>
        {data.name || "Workflow"} <span className="muted">{data.key}</span>
      </h1>
      <p>
        <StateBadge state={data.state} stuck={data.stuck} /> <span className="muted small">
          {data.keyName} = {data.key} · started <Time value={data.startedAt} /> · last activity <Time value={data.lastActivityAt} relative />
        </span>
      </p>
      {data.waitingOn ? (
        <p>
          Waiting on <WaitingOn w={data.waitingOn} />
        </p>
      ) : null}
      <h2>Why</h2>
      <ul data-testid="workflow-evidence">
        {data.evidence.map((e, i) => (
          <li key={i} className="small">
            <Time value={e.at} /> {e.text}
            {e.traceId ? (
              <>
                {" "}
                <AppLink href={`/traces/${e.traceId}${e.spanId ? `?span=${e.traceId}:${e.spanId}` : ""}`}>span</AppLink>
              </>
            ) : null}
            {e.deadLetterId !== undefined ? (
              <>
                {" "}
                <AppLink href={`/dead-letters/${e.deadLetterId}`}>dead letter {e.deadLetterId}</AppLink>
              </>
            ) : null}
          </li>
        ))}
      </ul>
      <h2>Steps ({data.steps.length} spans in {data.traceIds.length} traces)</h2>
      <div className="table-scroll">
        <table className="grid-table" data-testid="workflow-steps">
          <thead>
            <tr>
              <th className="num">+ms</th>
              <th>Service</th>
              <th>Operation</th>
              <th>Kind</th>
              <th className="num">Duration</th>
              <th>Trace</th>
            </tr>
          </thead>
          <tbody>
            {data.steps.map((s) => (
              <tr key={`${s.traceId}:${s.spanId}`} className={s.error ? "row-flagged" : undefined}>
                <td className="num">{(Date.parse(s.start) - t0).toLocaleString("en-US")}</td>
                <td>{s.service}</td>
                <td>
                  {s.name}
                  {s.error ? <span className="bad-text"> error</span> : null}
                </td>
                <td className="small">{kinds[s.kind] ?? s.kind}</td>
                <td className="num">{s.durationMs.toFixed(1)} ms</td>
                <td className="small">
                  <AppLink href={`/traces/${s.traceId}?span=${s.traceId}:${s.spanId}`}>{s.traceId.slice(0, 8)}</AppLink>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
