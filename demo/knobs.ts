import { z } from "zod";

/** Demo behaviour, from the environment (validated like every other boundary). */
const schema = z.object({
  KAFKA_BROKERS: z.string().default("127.0.0.1:9092"),
  RABBITMQ_URL: z.string().default("amqp://guest:guest@127.0.0.1:5672"),
  DEMO_ORDER_PORT: z.coerce.number().int().min(1).max(65535).default(4100),
  /** orders per second the traffic generator posts */
  DEMO_RATE: z.coerce.number().min(0).max(500).default(3),
  /** share of orders that are poison for the inventory service (end in the Kafka .DLT) */
  DEMO_KAFKA_POISON_RATE: z.coerce.number().min(0).max(1).default(0.05),
  /** share of orders whose payment is declined (rejected without requeue, end in the RabbitMQ DLQ) */
  DEMO_DECLINE_RATE: z.coerce.number().min(0).max(1).default(0.05),
  /**
   * How the payment service treats orders marked declined: on, it declines them every time; off, it accepts them;
   * first, it declines the first delivery and accepts a replay (x-switchyard-replay-id: a card declined for a reason
   * since fixed), so replaying the demo's declined payments shows them processed
   */
  DEMO_DECLINES: z.enum(["on", "off", "first"]).default("first"),
  /** share of payment attempts that fail transiently and are retried */
  DEMO_FLAKY_RATE: z.coerce.number().min(0).max(1).default(0.15),
  DEMO_MAX_RETRIES: z.coerce.number().int().min(0).max(20).default(3),
  /** share of orders the inventory step sits on without forwarding (a workflow left pending) */
  DEMO_STALL_RATE: z.coerce.number().min(0).max(1).default(0.03),
  /** milliseconds the slow analytics consumer spends per message (lag builds when traffic is faster) */
  DEMO_SLOW_MS: z.coerce.number().int().min(0).max(60_000).default(1500),
});

export type Knobs = z.infer<typeof schema>;

export function loadKnobs(): Knobs {
  const r = schema.safeParse(process.env);
  if (!r.success) {
    console.error(`demo: invalid settings:\n${r.error.issues.map((i) => `  - ${i.path.join(".")}: ${i.message}`).join("\n")}`);
    process.exit(78);
  }
  return r.data;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
