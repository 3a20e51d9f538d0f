"use client";

/** The auto-refresh interval of a view, kept in the URL (`refresh`, seconds; 5 is the default and stays out of it). */
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
