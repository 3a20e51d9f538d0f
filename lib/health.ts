/**
 * What /api/v1/health answers: every configured source with its health, from the collectors' latest reports.
 * A report that is missing or too old is itself a problem (the collectors are down), never silently "healthy".
 * The zod schemas are the model (and the API contract, lib/api/contracts/health.ts); the types are inferred from them.
 */
import { z } from "zod";
import { utcTime } from "./api/common";

export const healthSystems = ["kafka", "rabbitmq", "postgres", "otlp"] as const;
export type HealthSystem = (typeof healthSystems)[number];

export const healthSourceSchema = z
  .object({
    system: z.enum(healthSystems),
    name: z.string().meta({ description: "the configured cluster or broker name; `switchyard` for Postgres, `http` for the OTLP receiver" }),
    healthy: z.boolean(),
    error: z.string().optional().meta({ description: "why it is not healthy (a missing or stale report from the collectors is unhealthy too)" }),
    checkedAt: utcTime.optional().meta({ description: "when the collectors last checked it" }),
    details: z.record(z.string(), z.unknown()).optional().meta({ description: "what the collectors' probe learned (version, RabbitMQ totals, ...)" }),
  })
  .meta({ id: "HealthSource" });
export type HealthSource = z.infer<typeof healthSourceSchema>;

export const healthResponseSchema = z
  .object({
    status: z.enum(["ok", "degraded"]).meta({ description: "ok when every source is healthy" }),
    checkedAt: utcTime,
    sources: z.array(healthSourceSchema),
  })
  .meta({ id: "Health", description: "Postgres and every configured source, healthy or not, from the collectors' latest reports" });
export type HealthResponse = z.infer<typeof healthResponseSchema>;

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
