"use client";

import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useRef } from "react";
import { ApiError, fetchEndpoint } from "@/app/_components/fetch-json";
import { AppLink, Time } from "@/app/_components/time";
import { useUrlState } from "@/app/_components/use-url-state";
import type * as api from "@/lib/api/contracts/traces";
import type { ResponseOf } from "@/lib/api/endpoint";
import type { Span } from "@/lib/traces/span";
import { buildWaterfall, formatDuration, timeAxis, timeRuler, waterfallExtentMs, type TimeAxis, type WaterfallRow } from "@/lib/traces/waterfall";
import styles from "../traces.module.css";
import { NameColumnHandle, useNameColumnWidth, useRowKeys } from "./waterfall-controls";

type TraceDetail = ResponseOf<typeof api.getTrace>;

const clampPct = (x: number) => `${Math.min(100, Math.max(0, x))}%`;

/** How often a trace is read again: soon while its root has not arrived (its other spans usually follow it). */
const refreshMs = (d: TraceDetail | undefined) => (d && !d.spans.some((s) => s.parentSpanId === null) ? 3_000 : 15_000);

export function TraceView({ traceId }: { traceId: string }) {
  const url = useUrlState();
  const stitch = url.get("stitch") === "1";
  const selected = url.get("span");
  // one request either way: stitched, the answer carries the linked traces' spans too
  const { data, error } = useQuery({
    queryKey: ["trace", traceId, stitch],
    queryFn: ({ signal }) =>
      fetchEndpoint<typeof api.getTrace>("/api/v1/traces/{traceId}", { params: { traceId }, query: { stitch: stitch ? "linked" : null }, signal }),
    refetchInterval: (q) => (q.state.error ? false : refreshMs(q.state.data)),
    // switching the stitched view keeps the timeline drawn until the other answer comes
    placeholderData: keepPreviousData,
  });
  const [nameWidth, setNameWidth] = useNameColumnWidth();
  const waterfallRef = useRef<HTMLDivElement>(null);

  const spans: Span[] = data ? [...data.spans, ...(stitch ? (data.stitched?.spans ?? []) : [])] : [];
  const rows = buildWaterfall(spans, { stitch });
  const keys = rows.map((r) => `${r.span.traceId}:${r.span.spanId}`);
  const rowKeys = useRowKeys(keys, selected, waterfallRef, (k) => url.set({ span: k }));

  if (error && !data) {
    const notFound = error instanceof ApiError && error.status === 404;
    return (
      <div className="page-error" role="alert" data-testid="trace-error">
        {notFound ? (
          <p className="error">
            No trace {traceId} here: none of its spans has arrived, or they are past retention. A trace that is still being exported shows up once its first
            span is stored.
          </p>
        ) : (
          <p className="error">Could not load the trace: {error.message}</p>
        )}
        <p>
          <AppLink href="/traces">Back to the trace search</AppLink>
        </p>
      </div>
    );
  }
  if (!data) return <p className="muted">Loading…</p>;

  const extent = waterfallExtentMs(rows);
  const axis = timeAxis(rows);
  const ticks = timeRuler(axis);
  const start = rows.reduce((m, r) => (BigInt(r.span.startUnixNano) < m ? BigInt(r.span.startUnixNano) : m), BigInt(rows[0]?.span.startUnixNano ?? "0"));
  const services = [...new Set(spans.map((s) => s.service))];
  const chosen = spans.find((s) => `${s.traceId}:${s.spanId}` === selected) ?? null;
  const rootMissing = !data.spans.some((s) => s.parentSpanId === null);
  return (
    <>
      {rootMissing ? (
        <p className={styles.notice} role="status" data-testid="root-pending">
          Root span not received yet: this trace&apos;s first span has not arrived (still being exported, or lost on the way). The page refreshes
          every few seconds until it does.
        </p>
      ) : null}
      {error ? <p className="error">Could not refresh: {error.message}</p> : null}
      <dl className="fields">
        <div>
          <dt>started</dt>
          <dd>
            <Time value={new Date(Number(start / 1_000_000n))} millis />
          </dd>
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
          {stitch && data.stitched?.truncated ? (
            <p className={styles.notice} role="status" data-testid="stitch-truncated">
              The timeline shows part of the linked traces: at most {data.stitched.traceIds.length} traces and their earliest {data.stitched.spans.length}{" "}
              spans. Open a linked trace for all of its spans.
            </p>
          ) : null}
          <ul>
            {data.linkedTraceIds.map((id) => (
              <li key={id}>
                <AppLink href={`/traces/${id}`}>{id}</AppLink>
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
                <AppLink href={`/dead-letters/${d.id}`}>
                  #{d.id} {d.system} {d.source}
                </AppLink>{" "}
                <span className="muted">
                  {d.reason ?? ""} {d.errorMessage ?? ""}
                </span>{" "}
                {d.firstDeadAt ? <Time value={d.firstDeadAt} className="muted" /> : null}
              </li>
            ))}
          </ul>
        </section>
      ) : null}

      <section>
        <h2>Timeline</h2>
        <p className="muted">
          Bars are spans on one time axis ({formatDuration(extent)} wide); a hatched segment before a consumer is the time its message waited in the
          broker. Arrow keys move between spans, Enter opens one; drag the edge of the name column to widen it.
          {axis.breaks.length ? ` Idle stretches are cut short on the axis (${axis.breaks.map((b) => formatDuration(b.hiddenMs)).join(", ")}), marked ⫽.` : ""}
        </p>
        <div
          ref={waterfallRef}
          className={`waterfall ${styles.waterfall}`}
          style={{ ["--wf-name" as string]: `${nameWidth}px` }}
          role="treegrid"
          aria-label="Spans"
          aria-rowcount={rows.length + 1}
          data-testid="waterfall"
        >
          <div className={`wf-row wf-axis ${styles.head}`} role="row" aria-rowindex={1}>
            <div role="columnheader" className={styles.nameHead} data-testid="name-column" style={{ width: "100%" }}>
              Span
              <NameColumnHandle width={nameWidth} onChange={setNameWidth} />
            </div>
            <div role="columnheader" className="wf-track" aria-label="Time since the trace started">
              <div className={styles.ruler} data-testid="time-ruler">
                {ticks.map((t, i) => (
                  <span key={`${t.ms}`} data-testid="ruler-tick">
                    <span className={styles.tick} style={{ left: clampPct(t.pct) }} />
                    <span className={styles.tickLabel} style={{ left: clampPct(t.pct) }} data-edge={i === 0 ? "start" : t.pct > 92 ? "end" : undefined}>
                      {t.label}
                    </span>
                  </span>
                ))}
                {axis.breaks.map((b, i) => (
                  <span key={`b${i}`} className="wf-break" style={{ left: clampPct(b.atPct), top: 0 }} title={`${formatDuration(b.hiddenMs)} without activity, cut short`} data-testid="axis-break">
                    ⫽ {formatDuration(b.hiddenMs)}
                  </span>
                ))}
              </div>
            </div>
            <div role="columnheader" className="wf-dur num">
              Duration
            </div>
          </div>
          {rows.map((r, i) => {
            const k = keys[i]!;
            return (
              <SpanRowView
                key={k}
                row={r}
                index={i}
                axis={axis}
                foreign={r.span.traceId !== traceId}
                selected={selected === k}
                focusable={rowKeys.tabStop === i}
                onSelect={() => url.set({ span: k })}
                onKeyDown={(e) => rowKeys.onKeyDown(e, i)}
              />
            );
          })}
        </div>
      </section>

      {chosen ? <SpanDetails span={chosen} /> : <p className="muted">Select a span for its attributes, events and links.</p>}
    </>
  );
}

function SpanRowView({
  row,
  index,
  axis,
  foreign,
  selected,
  focusable,
  onSelect,
  onKeyDown,
}: {
  row: WaterfallRow;
  index: number;
  axis: TimeAxis;
  foreign: boolean;
  selected: boolean;
  focusable: boolean;
  onSelect: () => void;
  onKeyDown: (e: React.KeyboardEvent<HTMLDivElement>) => void;
}) {
  const s = row.span;
  return (
    <div
      role="row"
      className={`wf-row ${styles.row}${selected ? " selected" : ""}`}
      data-span-id={s.spanId}
      data-row-index={index}
      tabIndex={focusable ? 0 : -1}
      aria-selected={selected}
      aria-level={row.depth + 1}
      aria-rowindex={index + 2}
      aria-label={`${row.label}, ${s.service}, ${formatDuration(s.durationMs)}${s.status === "ERROR" ? ", error" : ""}`}
      onClick={onSelect}
      onKeyDown={onKeyDown}
    >
      <div role="gridcell" className="wf-label" style={{ paddingLeft: `${row.depth * 1}rem` }} title={s.name}>
        <span className={s.status === "ERROR" ? "bad-text" : ""}>{row.label}</span> <span className="muted">{s.service}</span>
        {row.via === "link" ? <span className="muted"> (linked)</span> : null}
        {foreign ? <span className="muted"> · other trace</span> : null}
      </div>
      <div role="gridcell" className="wf-track">
        {row.brokerWait ? (
          <div
            className="wf-wait"
            style={{ left: clampPct(axis.toPct(row.brokerWait.fromMs)), width: clampPct(axis.toPct(row.brokerWait.fromMs + row.brokerWait.durationMs) - axis.toPct(row.brokerWait.fromMs)) }}
            title={`waited ${formatDuration(row.brokerWait.durationMs)} in ${row.brokerWait.destination ?? "the broker"}`}
            data-testid="broker-wait"
          />
        ) : null}
        <div className={`wf-bar kind-${s.kind}${s.status === "ERROR" ? " error" : ""}`} style={{ left: clampPct(axis.toPct(row.offsetMs)), width: `max(2px, ${clampPct(axis.toPct(row.offsetMs + s.durationMs) - axis.toPct(row.offsetMs))})` }} />
      </div>
      <div role="gridcell" className="wf-dur num">
        {formatDuration(s.durationMs)}
        {row.brokerWait ? <span className="muted"> (+{formatDuration(row.brokerWait.durationMs)} queued)</span> : null}
      </div>
    </div>
  );
}

function SpanDetails({ span }: { span: Span }) {
  // attributes and events can carry message contents: shown as text, never as HTML
  const events = span.events;
  return (
    <section data-testid="span-details">
      <h2>
        {span.service}: {span.name}
      </h2>
      <dl className="fields">
        {(
          [
            ["span id", span.spanId],
            ["parent", span.parentSpanId ?? "—"],
            ["trace", span.traceId],
            ["kind", span.kind],
            ["status", span.statusMessage ? `${span.status}: ${span.statusMessage}` : span.status],
            ["started", <Time key="t" value={span.startTime} millis />],
            ["duration", formatDuration(span.durationMs)],
          ] as const
        ).map(([k, v]) => (
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
      {span.links.length ? (
        <>
          <h2>Links</h2>
          <ul>
            {span.links.map((l) => (
              <li key={`${l.traceId}:${l.spanId}`}>
                <AppLink href={`/traces/${l.traceId}?span=${l.traceId}:${l.spanId}`}>
                  {l.traceId} / {l.spanId}
                </AppLink>
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
