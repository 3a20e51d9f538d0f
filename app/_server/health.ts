import "server-only";
import { listSourceHealth, pingDb } from "@/db/queries/health";
import { redactUrls } from "@/lib/config/env";
import { errorMessage } from "@/lib/errors";
import type { z } from "zod";
import { summarizeHealth, type HealthReport, type healthResponseSchema } from "@/lib/health";
import { staleAfterMs } from "@/lib/staleness";
import { serverContext } from "./context";

export async function getHealth(): Promise<z.input<typeof healthResponseSchema>> {
  const { config, db } = serverContext();
  let postgres: { healthy: true } | { healthy: false; error: string } = { healthy: true };
  let reports: HealthReport[] | null = null;
  try {
    await pingDb(db.db);
    reports = await listSourceHealth(db.db);
  } catch (e) {
    postgres = { healthy: false, error: redactUrls(errorMessage(e)) };
  }
  return summarizeHealth({
    expected: {
      kafka: config.KAFKA_CLUSTERS.map((c) => c.name),
      rabbitmq: config.RABBITMQ_BROKERS.map((b) => b.name),
      otlp: ["http"],
    },
    reports,
    postgres,
    now: new Date(),
    staleAfterMs: staleAfterMs(config.HEALTH_INTERVAL_MS),
  });
}
