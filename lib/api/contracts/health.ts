import { healthResponseSchema } from "../../health";
import { endpoint } from "../endpoint";

export const getHealth = endpoint({
  method: "GET",
  path: "/api/v1/health",
  tag: "health",
  summary: "Postgres and every configured source (Kafka clusters, RabbitMQ brokers, OTLP receiver): healthy, degraded or down",
  role: "viewer",
  response: healthResponseSchema,
});
