"use client";

import { fetchEndpoint } from "@/app/_components/fetch-json";
import { Loading, QueryError, StaleNotice } from "@/app/_components/query-state";
import { RefreshControl, useAutoRefresh } from "@/app/_components/refresh-select";
import { AppLink, Time } from "@/app/_components/time";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import type * as api from "@/lib/api/contracts/rabbitmq";
import { prepareTimeSeries } from "@/lib/charts/lag-series";
import { timeRangeOf } from "@/lib/time-range";
import { formatDuration } from "@/lib/kafka/view";
import { RangePicker, TimeChart } from "@/app/_components/time-chart";
import { useUrlState } from "@/app/_components/use-url-state";
import { queueHref } from "../../../queues-overview";
import { captureModeText } from "@/lib/rabbitmq/view";
import { rabbitQueueDeadLettersHref } from "@/lib/dead-letter-links";

export function QueueDetailView({ broker, vhost, name }: { broker: string; vhost: string; name: string }) {
  const url = useUrlState();
  const range = timeRangeOf(url.get("range"));
  const refresh = useAutoRefresh(5);
  const { data, error, isFetching } = useQuery({
    queryKey: ["queue", broker, vhost, name, range],
    queryFn: ({ signal }) => fetchEndpoint<typeof api.getQueue>("/api/v1/rabbitmq/queues/{broker}/{vhost}/{name}", { params: { broker, vhost, name }, query: { range }, signal }),
    refetchInterval: refresh.refetchInterval,
    refetchOnWindowFocus: !refresh.paused,
    placeholderData: keepPreviousData,
  });
  if (error && !data) return <QueryError error={error} what={`queue ${name}`} backHref="/rabbitmq" backLabel="← all queues" />;
  if (!data) return <Loading what={`queue ${name}`} />;
  const chart = prepareTimeSeries(data.history, ["ready", "unacked", "publishRate", "deliverRate"] as const, range, Date.now());
  const n = (v: number) => v.toLocaleString("en-US");
  return (
    <>
      <p>
        <AppLink href="/rabbitmq">← all queues</AppLink>
      </p>
      <h1>
        {data.name} {data.isDeadLetterQueue ? <span className="badge badge-stall">DLQ</span> : null}
      </h1>
      <p className="muted">
        {data.type} queue · vhost {data.vhost} · broker {data.broker} · {data.state ?? "state unknown"} · sampled <Time value={data.sampledAt} relative />
      </p>
      <StaleNotice error={error} />
      {data.dlxMissing ? <p className="error">Its dead-letter exchange '{data.deadLetterExchange}' does not exist: RabbitMQ drops its dead letters.</p> : null}
      <div className="stats">
        <div>
          <span className="muted small">ready</span>
          <strong data-testid="detail-ready">{data.ready ?? "—"}</strong>
        </div>
        <div>
          <span className="muted small">unacked</span>
          <strong>{data.unacked ?? "—"}</strong>
        </div>
        <div>
          <span className="muted small">consumers</span>
          <strong>{data.consumers ?? "—"}</strong>
        </div>
        <div>
          <span className="muted small">drains in</span>
          <strong>{data.ready === 0 ? "empty" : data.drainEtaSeconds === null ? "not draining" : formatDuration(data.drainEtaSeconds)}</strong>
        </div>
        <div>
          <span className="muted small">oldest message</span>
          <strong>{formatDuration(data.headMessageAgeSeconds)}</strong>
        </div>
      </div>
      {data.deadLetterTargets.length || data.deadLetterSources.length ? (
        <p>
          {data.deadLetterTargets.length ? (
            <>
              Dead letters go to{" "}
              {data.deadLetterTargets.map((t) => (
                <AppLink key={t} href={queueHref({ ...data, name: t })}>
                  {t}{" "}
                </AppLink>
              ))}
              via exchange '{data.deadLetterExchange}'.{" "}
            </>
          ) : null}
          {data.deadLetterSources.length ? (
            <>
              Dead letters from{" "}
              {data.deadLetterSources.map((s) => (
                <AppLink key={s} href={queueHref({ ...data, name: s })}>
                  {s}{" "}
                </AppLink>
              ))}
              (<span data-testid="capture-mode">{captureModeText(data.captureMode, data.captureError) ?? "monitored by depth only"}</span>) ·{" "}
              <AppLink href={rabbitQueueDeadLettersHref(data.broker, data.vhost, data.name)}>see them</AppLink>
            </>
          ) : null}
        </p>
      ) : null}
      <div className="toolbar">
        <RangePicker range={range} onChange={(r) => url.set({ range: r === "1h" ? null : r })} />
        <RefreshControl state={refresh} busy={isFetching} />
      </div>
      <div className="charts">
        <TimeChart title="Ready messages" testId="chart-ready" data={chart} dataKey="ready" range={range} format={n} />
        <TimeChart title="Unacked messages" testId="chart-unacked" data={chart} dataKey="unacked" range={range} format={n} />
        <TimeChart title="Published /s" testId="chart-publish" data={chart} dataKey="publishRate" range={range} format={(v) => v.toFixed(1)} />
        <TimeChart title="Delivered /s" testId="chart-deliver" data={chart} dataKey="deliverRate" range={range} format={(v) => v.toFixed(1)} />
      </div>
      <h2>Arguments</h2>
      <pre className="payload">{JSON.stringify({ arguments: data.arguments, policy: data.policy }, null, 2)}</pre>
    </>
  );
}
