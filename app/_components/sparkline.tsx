"use client";

import { Line, LineChart, YAxis } from "recharts";

export function Sparkline({ values, label }: { values: number[]; label: string }) {
  if (values.length < 2) return <span className="muted small">—</span>;
  const data = values.map((v, i) => ({ i, v }));
  return (
    <span role="img" aria-label={label} data-testid="sparkline">
      <LineChart width={110} height={26} data={data} margin={{ top: 2, right: 2, bottom: 2, left: 2 }}>
        <YAxis hide domain={[0, "dataMax"]} />
        <Line type="monotone" dataKey="v" stroke="#58a6ff" strokeWidth={1.5} dot={false} isAnimationActive={false} />
      </LineChart>
    </span>
  );
}
