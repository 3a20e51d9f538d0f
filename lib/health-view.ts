import type { HealthSource, HealthSystem } from "./health";

const order: HealthSystem[] = ["kafka", "rabbitmq", "postgres", "otlp"];
const labels: Record<HealthSystem, string> = {
  kafka: "Kafka clusters",
  rabbitmq: "RabbitMQ brokers",
  postgres: "PostgreSQL",
  otlp: "OTLP receiver",
};

export function systemLabel(s: HealthSystem): string {
  return labels[s];
}

/** Groups sources by system in a fixed order, unhealthy first within a group, so the problem is at the top. */
export function groupHealth(sources: HealthSource[]): { system: HealthSystem; sources: HealthSource[] }[] {
  return order
    .map((system) => ({
      system,
      sources: sources
        .filter((s) => s.system === system)
        .sort((a, b) => Number(a.healthy) - Number(b.healthy) || a.name.localeCompare(b.name)),
    }))
    .filter((g) => g.sources.length > 0);
}
