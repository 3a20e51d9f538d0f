import { z } from "zod";
import { timeRanges, type TimeRange } from "../../charts/lag-series";
import { groupStatuses } from "../../kafka/group-health";
import { groupSortKeys } from "../../kafka/view";
import { endpoint } from "../endpoint";
import { nameSegment, safeText, unspecified } from "../common";

export const timeRangeQuery = z.enum(Object.keys(timeRanges) as [TimeRange, ...TimeRange[]]).default("1h");

export const groupListQuery = z.object({
  cluster: safeText(200).optional(),
  q: safeText(200).optional(),
  status: z
    .string()
    .optional()
    .transform((s) => (s ? s.split(",").map((x) => x.trim().toUpperCase()) : []))
    .pipe(z.array(z.enum(groupStatuses))),
  sort: z.enum(groupSortKeys).default("status"),
  dir: z.enum(["asc", "desc"]).default("desc"),
});

export const groupDetailQuery = z.object({ range: timeRangeQuery });

export const listConsumerGroups = endpoint({
  method: "GET",
  path: "/api/v1/kafka/consumer-groups",
  tag: "kafka",
  summary: "Consumer groups of every cluster with their Burrow-style status, lag in messages and seconds, and ETA",
  role: "viewer",
  query: groupListQuery,
  response: unspecified,
});

export const getConsumerGroup = endpoint({
  method: "GET",
  path: "/api/v1/kafka/consumer-groups/{cluster}/{groupId}",
  tag: "kafka",
  summary: "One consumer group: partitions, lag series over the range, status history",
  role: "viewer",
  params: z.object({ cluster: nameSegment("cluster", 200), groupId: nameSegment("consumer group", 1000) }),
  query: groupDetailQuery,
  response: unspecified,
  errors: [404],
});
