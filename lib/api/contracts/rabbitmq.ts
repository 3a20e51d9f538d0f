import { z } from "zod";
import { brokerTotalsSchema, queueSummarySchema } from "../../rabbitmq/queue-summary";
import { queueSortKeys } from "../../rabbitmq/view";
import { endpoint } from "../endpoint";
import { nameSegment, queryBool, safeText, utcTime } from "../common";
import { timeRange, timeRangeQuery } from "./kafka";

export const queueListQuery = z.object({
  q: safeText(200).optional(),
  broker: safeText(200).optional(),
  vhost: safeText(200).optional(),
  dlq: queryBool.optional(),
  problems: queryBool.optional(),
  sort: z.enum(queueSortKeys).default("ready"),
  dir: z.enum(["asc", "desc"]).default("desc"),
});

export const queueDetailQuery = z.object({ range: timeRangeQuery });

export const queueListSchema = z
  .object({
    items: z.array(queueSummarySchema),
    brokers: z.array(z.string()).meta({ description: "every configured broker" }),
    overview: z
      .array(
        z.object({
          broker: z.string(),
          healthy: z.boolean(),
          error: z.string().nullable(),
          checkedAt: utcTime.nullable(),
          totals: brokerTotalsSchema.nullable(),
        }),
      )
      .meta({ description: "each broker's totals from its management API's /api/overview, as the collectors last read them" }),
    pollIntervalMs: z.number().int(),
  })
  .meta({ id: "QueueList" });

export const queueDetailSchema = queueSummarySchema
  .extend({
    range: timeRange,
    history: z
      .array(z.object({ t: utcTime, ready: z.number(), unacked: z.number(), publishRate: z.number().nullable(), deliverRate: z.number().nullable() }))
      .meta({ description: "depth and rates over the range, oldest first" }),
  })
  .meta({ id: "QueueDetail" });

export const listQueues = endpoint({
  method: "GET",
  path: "/api/v1/rabbitmq/queues",
  tag: "rabbitmq",
  summary: "Queues of every broker and vhost: depth, rates, consumers, dead-letter capture state",
  role: "viewer",
  query: queueListQuery,
  response: queueListSchema,
});

export const getQueue = endpoint({
  method: "GET",
  path: "/api/v1/rabbitmq/queues/{broker}/{vhost}/{name}",
  tag: "rabbitmq",
  summary: "One queue: depth and rate series over the range, consumers, dead-letter capture",
  description: "The default vhost `/` travels as `%2F`, as in the management API.",
  role: "viewer",
  params: z.object({ broker: nameSegment("broker", 200), vhost: nameSegment("vhost"), name: nameSegment("queue") }),
  query: queueDetailQuery,
  response: queueDetailSchema,
  errors: [404],
});
