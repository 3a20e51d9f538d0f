"use client";

import { useUrlState } from "./use-url-state";

const choices = [5, 10, 15, 60] as const;

export interface AutoRefresh {
  /** seconds between refreshes as chosen (0: off) */
  seconds: number;
  /** paused by the reader (`paused=1` in the URL); the interval is kept for when they resume */
  paused: boolean;
  /** react-query's refetchInterval */
  refetchInterval: number | false;
  defaultSeconds: number;
}

/**
 * A view's auto-refresh, kept in the URL: `refresh` (seconds; the view's default stays out of it; 0 is off) and
 * `paused=1`. A bad value in a pasted link falls back to the default.
 */
export function useAutoRefresh(defaultSeconds = 5): AutoRefresh {
  const url = useUrlState();
  const raw = url.get("refresh");
  const n = raw === "" ? defaultSeconds : Number(raw);
  const seconds = Number.isInteger(n) && n >= 0 && n <= 3600 ? n : defaultSeconds;
  const paused = url.get("paused") === "1" || url.get("paused") === "true";
  return { seconds, paused, defaultSeconds, refetchInterval: paused || seconds === 0 ? false : seconds * 1000 };
}

/** The refresh interval and a pause button; the list keeps what it shows while paused. */
export function RefreshControl({ state, busy }: { state: AutoRefresh; busy: boolean }) {
  const url = useUrlState();
  const options = [...new Set([...choices, state.defaultSeconds, state.seconds])].filter((s) => s > 0).sort((a, b) => a - b);
  return (
    <span className="refresh" data-testid="refresh-control" data-paused={String(state.paused)}>
      <button
        type="button"
        className={state.paused ? "chip on" : "chip"}
        aria-pressed={state.paused}
        onClick={() => url.set({ paused: state.paused ? null : "1" })}
        title={state.paused ? "resume refreshing" : "stop refreshing and keep what is shown"}
      >
        {state.paused ? "▶ resume" : "❚❚ pause"}
      </button>
      <label className="muted small">
        refresh{" "}
        <select aria-label="Refresh interval" value={String(state.seconds)} disabled={state.paused} onChange={(e) => url.set({ refresh: Number(e.target.value) === state.defaultSeconds ? null : e.target.value })}>
          <option value="0">off</option>
          {options.map((s) => (
            <option key={s} value={String(s)}>
              {s} s
            </option>
          ))}
        </select>
      </label>
      <span className="muted small refresh-note" aria-live="polite">
        {state.paused ? "paused" : busy ? "refreshing…" : ""}
      </span>
    </span>
  );
}

/** @deprecated the old interval-only control (kept for pages not yet moved to RefreshControl). */
export function RefreshSelect({ value, onChange, busy }: { value: number; onChange: (v: string | null) => void; busy: boolean }) {
  return (
    <>
      <label className="muted small">
        refresh{" "}
        <select aria-label="Refresh interval" value={String(value)} onChange={(e) => onChange(e.target.value === "5" ? null : e.target.value)}>
          <option value="0">off</option>
          <option value="5">5 s</option>
          <option value="15">15 s</option>
          <option value="60">60 s</option>
        </select>
      </label>
      <span className="muted small">{busy ? "refreshing…" : ""}</span>
    </>
  );
}
