import type { ReplayProgress } from "@/lib/replay/progress";

/**
 * A replay's progress bar: one part per kind of outcome (lib/replay/progress.ts prepares them), each part's count in
 * its tooltip, and the label as text beside it.
 */
export function ProgressBar({ progress, compact = false }: { progress: ReplayProgress; compact?: boolean }) {
  return (
    <div className={compact ? "replay-progress compact" : "replay-progress"} data-testid="replay-progress">
      <div
        className="replay-bar"
        role="progressbar"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={progress.percentFinished}
        aria-valuetext={progress.label}
        aria-label="replay progress"
        data-finished={progress.finished}
        data-total={progress.total}
      >
        {progress.segments
          .filter((s) => s.count > 0)
          .map((s) => (
            <span key={s.kind} className={`seg seg-${s.kind}`} style={{ width: `${s.percent}%` }} title={`${s.label}: ${s.count.toLocaleString("en-US")} (${s.percent}%)`} data-kind={s.kind} data-count={s.count} />
          ))}
      </div>
      <div className={compact ? "small muted" : "muted"} data-testid="replay-progress-label">
        {progress.label}
      </div>
    </div>
  );
}

/** Which colour stands for what, with the counts. */
export function ProgressLegend({ progress }: { progress: ReplayProgress }) {
  return (
    <ul className="replay-legend small" data-testid="replay-legend">
      {progress.segments.map((s) => (
        <li key={s.kind} data-kind={s.kind}>
          <span className={`swatch seg-${s.kind}`} aria-hidden="true" />
          {s.label}: <strong>{s.count.toLocaleString("en-US")}</strong>
        </li>
      ))}
    </ul>
  );
}
