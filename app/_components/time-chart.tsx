"use client";

import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { ChartData } from "@/lib/charts/lag-series";
import { rangeSpansDays, timeRangeNames, type TimeRange } from "@/lib/time-range";
import { formatAxisTick, formatTime } from "@/lib/time-format";
import { useTimeZoneMode } from "./time";

/** One series over a time range; the data comes prepared by lib/charts (recharts only draws). */
export function TimeChart<K extends string>(props: {
  title: string;
  testId: string;
  data: ChartData<K>;
  dataKey: K;
  range: TimeRange;
  format: (v: number) => string;
  axisFormat?: (v: number) => string;
}) {
  const { title, testId, data, dataKey, range, format, axisFormat = format } = props;
  const tz = useTimeZoneMode();
  const withDate = rangeSpansDays(range);
  return (
    <figure className="card chart" data-testid={testId}>
      <figcaption>{title}</figcaption>
      {data.points.length === 0 ? (
        <p className="muted">No samples in this range yet.</p>
      ) : (
        <ResponsiveContainer width="100%" height={220}>
          <LineChart data={data.points} margin={{ top: 8, right: 16, bottom: 0, left: 8 }}>
            <CartesianGrid stroke="#2a323c" strokeDasharray="3 3" />
            <XAxis dataKey="t" type="number" domain={data.domain} ticks={data.ticks} tickFormatter={(v: number) => formatAxisTick(v, tz, withDate)} stroke="#8b949e" fontSize={11} />
            <YAxis stroke="#8b949e" fontSize={11} tickFormatter={axisFormat} width={70} />
            <Tooltip labelFormatter={(v) => formatTime(Number(v), tz)} formatter={(v) => format(Number(v))} contentStyle={{ background: "#171d24", border: "1px solid #2a323c" }} />
            <Line type="monotone" dataKey={dataKey} stroke="#58a6ff" dot={false} isAnimationActive={false} connectNulls />
          </LineChart>
        </ResponsiveContainer>
      )}
    </figure>
  );
}

export function RangePicker({ range, onChange }: { range: TimeRange; onChange: (r: TimeRange) => void }) {
  return (
    <span className="chips" role="group" aria-label="Time range">
      {timeRangeNames.map((r) => (
        <button key={r} type="button" className={r === range ? "chip on" : "chip"} aria-pressed={r === range} onClick={() => onChange(r)}>
          {r}
        </button>
      ))}
    </span>
  );
}
