/**
 * Lag in seconds by interpolation (the kafka-lag-exporter method): each poll records (end offset, time) per
 * partition; the time a committed offset was produced is read off that table, and the lag in seconds is how long ago
 * that was. Used where reading the record at the committed offset costs more than the poll budget allows.
 */
export interface OffsetPoint {
  offset: number;
  timeMs: number;
}

/** Keeps at most `capacity` points, oldest first, one point per distinct offset (the earliest time it was seen). */
export class OffsetTimeTable {
  private points: OffsetPoint[] = [];
  constructor(private readonly capacity = 120) {}

  add(offset: number, timeMs: number): void {
    const last = this.points[this.points.length - 1];
    if (last && offset < last.offset) this.points = []; // topic recreated or truncated: start over
    if (last && offset === last.offset) return;
    this.points.push({ offset, timeMs });
    if (this.points.length > this.capacity) this.points.splice(0, this.points.length - this.capacity);
  }

  get size(): number {
    return this.points.length;
  }

  /** Estimated time the record at `offset` was produced, or null with fewer than two points. */
  timeOf(offset: number): number | null {
    return interpolateTime(this.points, offset);
  }
}

export function interpolateTime(points: readonly OffsetPoint[], offset: number): number | null {
  if (points.length < 2) return null;
  const first = points[0]!;
  const last = points[points.length - 1]!;
  if (offset >= last.offset) return last.timeMs;
  let lo = first;
  let hi = points[1]!;
  if (offset >= first.offset) {
    for (let i = 1; i < points.length; i++) {
      if (points[i]!.offset > offset) {
        lo = points[i - 1]!;
        hi = points[i]!;
        break;
      }
    }
  }
  // below the table: extrapolate from its first two points
  const span = hi.offset - lo.offset;
  if (span <= 0) return lo.timeMs;
  return lo.timeMs + ((offset - lo.offset) * (hi.timeMs - lo.timeMs)) / span;
}
