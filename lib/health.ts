/**
 * What /api/v1/health answers: every configured source with its health, from the collectors' latest reports.
 * A report that is missing or too old is itself a problem (the collectors are down), never silently "healthy".
 */
export type HealthSystem = "kafka" | "rabbitmq" | "postgres" | "otlp";

export interface HealthSource {
  system: HealthSystem;
  name: string;
  healthy: boolean;
  error?: string;
  checkedAt?: string;
  details?: Record<string, unknown>;
}

export interface HealthResponse {
  status: "ok" | "degraded";
  checkedAt: string;
  sources: HealthSource[];
}

export interface HealthReport {
  system: string;
  name: string;
  healthy: boolean;
  error: string | null;
  details: Record<string, unknown>;
  checkedAt: Date;
}

export interface ExpectedSources {
  kafka: string[];
  rabbitmq: string[];
  otlp: string[];
}

export function summarizeHealth(input: {
  expected: ExpectedSources;
  /** null when the dashboard could not read them (Postgres down) */
  reports: HealthReport[] | null;
  postgres: { healthy: true } | { healthy: false; error: string };
  now: Date;
  staleAfterMs: number;
}): HealthResponse {
  const { expected, reports, postgres, now, staleAfterMs } = input;
  const sources: HealthSource[] = [];
  sources.push(postgres.healthy ? { system: "postgres", name: "switchyard", healthy: true } : { system: "postgres", name: "switchyard", healthy: false, error: postgres.error });
  const byKey = new Map((reports ?? []).map((r) => [`${r.system}/${r.name}`, r]));
  for (const system of ["kafka", "rabbitmq", "otlp"] as const) {
    for (const name of expected[system]) {
      const r = byKey.get(`${system}/${name}`);
      if (reports === null) {
        sources.push({ system, name, healthy: false, error: "unknown: the collectors' reports live in Postgres, which is unavailable" });
      } else if (!r) {
        sources.push({ system, name, healthy: false, error: "no report from the collectors yet (is `npm run collectors` running?)" });
      } else {
        const age = now.getTime() - r.checkedAt.getTime();
        const base = { system, name, checkedAt: r.checkedAt.toISOString(), details: r.details };
        if (age > staleAfterMs) {
          sources.push({ ...base, healthy: false, error: `collectors last reported ${Math.round(age / 1000)} s ago (are they running?)` });
        } else if (r.healthy) {
          sources.push({ ...base, healthy: true });
        } else {
          sources.push({ ...base, healthy: false, error: r.error ?? "unhealthy" });
        }
      }
    }
  }
  return { status: sources.every((s) => s.healthy) ? "ok" : "degraded", checkedAt: now.toISOString(), sources };
}
