"use client";

import Link from "next/link";
import { useQueries, useQuery } from "@tanstack/react-query";
import { fetchJson } from "@/app/_components/fetch-json";
import { useUrlState } from "@/app/_components/use-url-state";
import type { SpanView, TraceDetail } from "@/app/_server/traces";
import { formatTimestamp } from "@/lib/kafka/view";
import { buildWaterfall, formatDuration, timeAxis, waterfallExtentMs, type TimeAxis, type WaterfallRow } from "@/lib/traces/waterfall";

const clampPct = (x: number) => `${Math.min(100, Math.max(0, x))}%`;

export function TraceView({ traceId }: { traceId: string }) {
  const url = useUrlState();
  const stitch = url.get("stitch") === "1";
  const selected = url.get("span");
  const { data, error } = useQuery({ queryKey: ["trace", traceId], queryFn: () => fetchJson<TraceDetail>(`/api/v1/traces/${traceId}`), refetchInterval: 15_000 });
  const linked = useQueries({
    queries: (stitch ? (data?.linkedTraceIds ?? []).slice(0, 20) : []).map((id) => ({ queryKey: ["trace", id], queryFn: () => fetchJson<TraceDetail>(`/api/v1/traces/${id}`) })),
  });
  if (error) return <p className="error">Could not load the trace: {error.message}</p>;
  if (!data) return <p className="muted">Loading…</p>;

  const spans: SpanView[] = [...data.spans, ...linked.flatMap((q) => q.data?.spans ?? [])];
  const rows = buildWaterfall(
    spans.map((s) => ({ ...s, kind: s.kindCode, statusCode: s.status === "ERROR" ? 2 : s.status === "OK" ? 1 : 0, links: s.links as { traceId: string; spanId: string }[] })),
    { stitch },
  );
  const extent = waterfallExtentMs(rows);
  const axis = timeAxis(rows);
  const start = rows.reduce((m, r) => (BigInt(r.span.startUnixNano) < m ? BigInt(r.span.startUnixNano) : m), BigInt(rows[0]?.span.startUnixNano ?? "0"));
  const services = [...new Set(spans.map((s) => s.service))];
  const chosen = spans.find((s) => `${s.traceId}:${s.spanId}` === selected) ?? null;
  return (
    <>
      <dl className="fields">
        <div>
          <dt>started</dt>
          <dd>{formatTimestamp(new Date(Number(start / 1_000_000n)).toISOString())}</dd>
        </div>
        <div>
          <dt>duration</dt>
          <dd data-testid="trace-duration">{formatDuration(extent)}</dd>
        </div>
        <div>
          <dt>spans</dt>
          <dd>{spans.length}</dd>
        </div>
        <div>
          <dt>services</dt>
          <dd>{services.join(", ")}</dd>
        </div>
        <div>
          <dt>errors</dt>
          <dd>{spans.filter((s) => s.status === "ERROR").length}</dd>
        </div>
      </dl>

      {data.linkedTraceIds.length ? (
        <section data-testid="linked-traces">
          <h2>Linked traces</h2>
          <p className="muted">
            Other traces of this request, joined by span links (a consumer in one trace, its producer in another).{" "}
            <label>
              <input type="checkbox" checked={stitch} onChange={(e) => url.set({ stitch: e.target.checked ? "1" : null })} /> show them in one timeline
            </label>
          </p>
          <ul>
            {data.linkedTraceIds.map((id) => (
              <li key={id}>
                <Link href={`/traces/${id}`}>{id}</Link>
              </li>
            ))}
          </ul>
        </section>
      ) : null}

      {data.deadLetters.length ? (
        <section data-testid="trace-dead-letters">
          <h2>Dead letters of this trace</h2>
          <ul>
            {data.deadLetters.map((d) => (
              <li key={d.id}>
                <Link href={`/dead-letters/${d.id}`}>
                  #{d.id} {d.system} {d.source}
                </Link>{" "}
                <span className="muted">
                  {d.reason ?? ""} {d.errorMessage ?? ""}
                </span>
              </li>
            ))}
          </ul>
        </section>
      ) : null}

      <section>
        <h2>Timeline</h2>
        <p className="muted">
          Bars are spans on one time axis ({formatDuration(extent)} wide); a hatched segment before a consumer is the time its message waited in the
          broker.
          {axis.breaks.length ? ` Idle stretches are cut short on the axis (${axis.breaks.map((b) => formatDuration(b.hiddenMs)).join(", ")}), marked ⫽.` : ""}
        </p>
        <div className="waterfall" role="table" aria-label="Spans" data-testid="waterfall">
          {axis.breaks.length ? (
            <div className="wf-row wf-axis" aria-hidden="true">
              <div />
              <div className="wf-track">
                {axis.breaks.map((b, i) => (
                  <span key={i} className="wf-break" style={{ left: clampPct(b.atPct) }} title={`${formatDuration(b.hiddenMs)} without activity, cut short`} data-testid="axis-break">
                    ⫽ {formatDuration(b.hiddenMs)}
                  </span>
                ))}
              </div>
              <div />
            </div>
          ) : null}
          {rows.map((r) => (
            <SpanRowView key={`${r.span.traceId}:${r.span.spanId}`} row={r} axis={axis} foreign={r.span.traceId !== traceId} selected={selected === `${r.span.traceId}:${r.span.spanId}`} onSelect={(k) => url.set({ span: k })} />
          ))}
        </div>
      </section>

      {chosen ? <SpanDetails span={chosen} /> : <p className="muted">Select a span for its attributes, events and links.</p>}
    </>
  );
}

function SpanRowView({ row, axis, foreign, selected, onSelect }: { row: WaterfallRow; axis: TimeAxis; foreign: boolean; selected: boolean; onSelect: (k: string) => void }) {
  const s = row.span;
  const k = `${s.traceId}:${s.spanId}`;
  return (
    <div role="row" className={`wf-row${selected ? " selected" : ""}`} data-span-id={s.spanId} onClick={() => onSelect(k)}>
      <div role="cell" className="wf-label" style={{ paddingLeft: `${row.depth * 1}rem` }} title={s.name}>
        <span className={s.statusCode === 2 ? "bad-text" : ""}>{row.label}</span> <span className="muted">{s.service}</span>
        {row.via === "link" ? <span className="muted"> (linked)</span> : null}
        {foreign ? <span className="muted"> · other trace</span> : null}
      </div>
      <div role="cell" className="wf-track">
        {row.brokerWait ? (
          <div
            className="wf-wait"
            style={{ left: clampPct(axis.toPct(row.brokerWait.fromMs)), width: clampPct(axis.toPct(row.brokerWait.fromMs + row.brokerWait.durationMs) - axis.toPct(row.brokerWait.fromMs)) }}
            title={`waited ${formatDuration(row.brokerWait.durationMs)} in ${row.brokerWait.destination ?? "the broker"}`}
            data-testid="broker-wait"
          />
        ) : null}
        <div className={`wf-bar kind-${s.kind}${s.statusCode === 2 ? " error" : ""}`} style={{ left: clampPct(axis.toPct(row.offsetMs)), width: `max(2px, ${clampPct(axis.toPct(row.offsetMs + s.durationMs) - axis.toPct(row.offsetMs))})` }} />
      </div>
      <div role="cell" className="wf-dur num">
        {formatDuration(s.durationMs)}
        {row.brokerWait ? <span className="muted"> (+{formatDuration(row.brokerWait.durationMs)} queued)</span> : null}
      </div>
    </div>
  );
}

function SpanDetails({ span }: { span: SpanView }) {
  // attributes and events can carry message contents: shown as text, never as HTML
  const events = span.events as { name: string; timeUnixNano: string; attributes: Record<string, unknown> }[];
  return (
    <section data-testid="span-details">
      <h2>
        {span.service}: {span.name}
      </h2>
      <dl className="fields">
        {[
          ["span id", span.spanId],
          ["parent", span.parentSpanId ?? "—"],
          ["trace", span.traceId],
          ["kind", span.kind],
          ["status", span.statusMessage ? `${span.status}: ${span.statusMessage}` : span.status],
          ["started", span.startTime],
          ["duration", formatDuration(span.durationMs)],
        ].map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd>{v}</dd>
          </div>
        ))}
      </dl>
      <h2>Attributes</h2>
      <pre className="payload">{JSON.stringify(span.attributes, null, 2)}</pre>
      {events.length ? (
        <>
          <h2>Events</h2>
          <ul>
            {events.map((e, i) => (
              <li key={i}>
                <strong>{e.name}</strong> <pre className="payload">{JSON.stringify(e.attributes, null, 2)}</pre>
              </li>
            ))}
          </ul>
        </>
      ) : null}
      {(span.links as { traceId: string; spanId: string }[]).length ? (
        <>
          <h2>Links</h2>
          <ul>
            {(span.links as { traceId: string; spanId: string }[]).map((l) => (
              <li key={`${l.traceId}:${l.spanId}`}>
                <Link href={`/traces/${l.traceId}?span=${l.traceId}:${l.spanId}`}>
                  {l.traceId} / {l.spanId}
                </Link>
              </li>
            ))}
          </ul>
        </>
      ) : null}
      <h2>Resource</h2>
      <pre className="payload">{JSON.stringify(span.resourceAttributes, null, 2)}</pre>
    </section>
  );
}
