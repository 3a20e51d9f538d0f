/**
 * The RabbitMQ queue model the API answers and the pages show: zod schemas and the types inferred from them (one model
 * per concept; lib/api/contracts/rabbitmq.ts builds the endpoints' answers from these). Pure and framework-free.
 */
import { z } from "zod";
import { utcTime } from "../api/common";
import { captureModes } from "./capture-modes";

const count = (description: string) => z.number().nullable().meta({ description });
const rate = (description: string) => z.number().nullable().meta({ description: `${description}, per second; null when the broker gave none` });

/** A broker's totals from its management API's /api/overview, as the collectors last read them. */
export const brokerTotalsSchema = z
  .object({
    messages: z.number().nullable(),
    ready: z.number().nullable(),
    unacked: z.number().nullable(),
    queues: z.number().nullable(),
    consumers: z.number().nullable(),
    connections: z.number().nullable(),
    publishRate: z.number().nullable(),
    deliverRate: z.number().nullable(),
  })
  .meta({ id: "BrokerTotals" });
export type BrokerTotals = z.infer<typeof brokerTotalsSchema>;

/** One queue of one broker and vhost: what the collector knows of it and its latest sample (null figures: none yet). */
export const queueSummarySchema = z
  .object({
    broker: z.string(),
    vhost: z.string(),
    name: z.string(),
    type: z.string().meta({ description: "classic, quorum or stream" }),
    state: z.string().nullable(),
    ready: count("messages ready"),
    unacked: count("messages delivered and not yet acknowledged"),
    total: count("ready + unacked"),
    consumers: count("consumers"),
    consumerCapacity: z.number().nullable().meta({ description: "RabbitMQ's consumer capacity (utilisation), 0 to 1" }),
    publishRate: rate("published"),
    deliverRate: rate("delivered"),
    ackRate: rate("acknowledged"),
    redeliverRate: rate("redelivered"),
    headMessageAgeSeconds: z.number().nullable(),
    arguments: z.record(z.string(), z.unknown()).meta({ description: "the queue's x-arguments" }),
    policy: z.string().nullable(),
    isDeadLetterQueue: z.boolean(),
    deadLetterSources: z.array(z.string()).meta({ description: "queues whose dead letters land here" }),
    deadLetterTargets: z.array(z.string()).meta({ description: "queues this queue's dead letters land in" }),
    deadLetterExchange: z.string().nullable(),
    deadLetterRoutingKey: z.string().nullable(),
    dlxMissing: z.boolean().meta({ description: "its dead-letter exchange is configured but does not exist: RabbitMQ drops its dead letters" }),
    captureMode: z.enum(captureModes).nullable().meta({ description: "how Switchyard handles it as a dead-letter queue; null: not one" }),
    captureError: z.string().nullable().meta({ description: "why a dead-letter queue that should be captured is not" }),
    drainEtaSeconds: z.number().nullable().meta({ description: "seconds until empty at the current rates; null when not draining" }),
    growthRate: z.number().nullable().meta({ description: "change of ready messages per second over the last 15 minutes" }),
    sparkline: z.array(z.number()).meta({ description: "ready messages over the last 15 minutes, oldest first" }),
    sampledAt: utcTime.nullable(),
    stale: z.boolean().meta({ description: "no sample, or one older than three poll intervals" }),
  })
  .meta({ id: "QueueSummary" });
export type Queue = z.infer<typeof queueSummarySchema>;
