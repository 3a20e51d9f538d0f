import client from "prom-client";

/** The collectors' Prometheus metrics, served on /metrics. */
export const registry = new client.Registry();
client.collectDefaultMetrics({ register: registry, prefix: "switchyard_collectors_" });

export const sourceUp = new client.Gauge({
  name: "switchyard_source_up",
  help: "1 when the collectors can talk to the source, 0 when not",
  labelNames: ["system", "name"] as const,
  registers: [registry],
});

export const sourceReconnects = new client.Counter({
  name: "switchyard_source_reconnects_total",
  help: "Connection attempts after a failure or a lost connection",
  labelNames: ["system", "name"] as const,
  registers: [registry],
});

export const otlpRequests = new client.Counter({
  name: "switchyard_otlp_requests_total",
  help: "OTLP export requests by transport, content type and HTTP status",
  labelNames: ["transport", "format", "status"] as const,
  registers: [registry],
});

export const otlpSpans = new client.Counter({
  name: "switchyard_otlp_spans_total",
  help: "Spans received over OTLP, by outcome",
  labelNames: ["outcome"] as const,
  registers: [registry],
});

export const kafkaPollSeconds = new client.Histogram({
  name: "switchyard_kafka_lag_poll_seconds",
  help: "Time one lag poll of a cluster took",
  labelNames: ["cluster"] as const,
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [registry],
});

export const deadLettersCaptured = new client.Counter({
  name: "switchyard_dead_letters_captured_total",
  help: "Dead letters written to Postgres, by system and source",
  labelNames: ["system", "source"] as const,
  registers: [registry],
});

export const replayItems = new client.Counter({
  name: "switchyard_replay_items_total",
  help: "Replay items the collectors sent, by system and outcome (confirmed by the broker, refused by it)",
  labelNames: ["system", "outcome"] as const,
  registers: [registry],
});

export const otlpRequestSeconds = new client.Histogram({
  name: "switchyard_otlp_request_duration_seconds",
  help: "Time from an OTLP export's arrival to its answer, by transport",
  labelNames: ["transport"] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});

export const rabbitPollSeconds = new client.Histogram({
  name: "switchyard_rabbitmq_queue_poll_seconds",
  help: "Time one poll of a broker's management API took",
  labelNames: ["broker"] as const,
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [registry],
});

let lastRefusalMs: number | null = null;
/** The OTLP receiver refused an export (503 / UNAVAILABLE): what the otlp_refusals alert rules watch. */
export const noteOtlpRefusal = () => void (lastRefusalMs = Date.now());
export const lastOtlpRefusalMs = () => lastRefusalMs;
