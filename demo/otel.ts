/**
 * OpenTelemetry for the demo services: the real Node SDK with the HTTP, kafkajs and amqplib instrumentations,
 * exporting OTLP/HTTP protobuf to Switchyard's receiver. Imported first by every service so the instrumentations
 * patch kafkajs and amqplib before those are loaded.
 */
import { NodeSDK } from "@opentelemetry/sdk-node";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { HttpInstrumentation } from "@opentelemetry/instrumentation-http";
import { KafkaJsInstrumentation } from "@opentelemetry/instrumentation-kafkajs";
import { AmqplibInstrumentation } from "@opentelemetry/instrumentation-amqplib";

const endpoint = process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? "http://127.0.0.1:4318/v1/traces";

export const sdk = new NodeSDK({
  serviceName: process.env.OTEL_SERVICE_NAME ?? "demo",
  traceExporter: new OTLPTraceExporter({ url: endpoint }),
  instrumentations: [new HttpInstrumentation(), new KafkaJsInstrumentation(), new AmqplibInstrumentation()],
});
sdk.start();

/** Flushes spans; services call it on shutdown. */
export async function shutdownTelemetry(): Promise<void> {
  await sdk.shutdown().catch(() => undefined);
}
