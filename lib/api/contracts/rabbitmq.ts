import { z } from "zod";
import { queueSortKeys } from "../../rabbitmq/view";
import { endpoint } from "../endpoint";
import { nameSegment, queryBool, safeText, unspecified } from "../common";
import { timeRangeQuery } from "./kafka";

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

export const listQueues = endpoint({
  method: "GET",
  path: "/api/v1/rabbitmq/queues",
  tag: "rabbitmq",
  summary: "Queues of every broker and vhost: depth, rates, consumers, dead-letter capture state",
  role: "viewer",
  query: queueListQuery,
  response: unspecified,
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
  response: unspecified,
  errors: [404],
});
