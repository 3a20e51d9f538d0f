import { z } from "zod";
import { timeRanges, type TimeRange } from "../../charts/lag-series";
import { groupStatuses } from "../../kafka/group-health";
import { groupMemberSchema, groupSummarySchema, lagMethods } from "../../kafka/group-summary";
import { groupSortKeys } from "../../kafka/view";
import { endpoint } from "../endpoint";
import { nameSegment, queryBool, safeText, utcTime } from "../common";

export const timeRange = z.enum(Object.keys(timeRanges) as [TimeRange, ...TimeRange[]]).meta({ description: "the time range of the series: 15m, 1h, 6h, 24h or 7d" });
export const timeRangeQuery = timeRange.default("1h");

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
  inactive: queryBool.optional().meta({ description: "also the groups with no members for longer than KAFKA_INACTIVE_AFTER (listed after the live ones)" }),
});

export const groupDetailQuery = z.object({ range: timeRangeQuery });

export const consumerGroupListSchema = z
  .object({
    items: z.array(
      groupSummarySchema
        .extend({ sparkline: z.array(z.number()).meta({ description: "total lag over the last 15 minutes, oldest first" }) })
        .meta({ id: "ConsumerGroupListItem" }),
    ),
    clusters: z.array(z.string()).meta({ description: "every configured cluster" }),
    inactiveCount: z.number().int().meta({ description: "groups matching the filter that are inactive (left out unless inactive=true)" }),
    pollIntervalMs: z.number().int(),
  })
  .meta({ id: "ConsumerGroupList" });

export const partitionLagSchema = z
  .object({
    topic: z.string(),
    partition: z.number().int(),
    committedOffset: z.number().int().nullable().meta({ description: "null: the group has committed no offset here" }),
    endOffset: z.number().int().nullable().meta({ description: "null: the topic no longer exists" }),
    lag: z.number().int().nullable(),
    lagSeconds: z.number().nullable(),
    lagMethod: z.enum(lagMethods),
    uncommittedBacklog: z.number().int().nullable().meta({ description: "with no committed offset: the records in the log (end − log start), what the group would face on joining" }),
    status: z.enum(groupStatuses).nullable(),
    note: z.string().nullable(),
    member: groupMemberSchema.pick({ memberId: true, clientId: true, host: true }).nullable().meta({ description: "the member assigned the partition" }),
  })
  .meta({ id: "PartitionLag" });

export const consumerGroupDetailSchema = groupSummarySchema
  .extend({
    memberDetails: z.array(groupMemberSchema),
    partitions: z.array(partitionLagSchema).meta({ description: "the partitions of the latest poll" }),
    range: timeRange,
    history: z.array(z.object({ t: utcTime, totalLag: z.number(), maxLagSeconds: z.number().nullable() })).meta({ description: "lag over the range, oldest first" }),
    statusHistory: z.array(z.object({ status: z.enum(groupStatuses), reason: z.string().nullable(), at: utcTime })).meta({ description: "status changes, newest first (at most 50)" }),
  })
  .meta({ id: "ConsumerGroupDetail" });

export const listConsumerGroups = endpoint({
  method: "GET",
  path: "/api/v1/kafka/consumer-groups",
  tag: "kafka",
  summary: "Consumer groups of every cluster with their Burrow-style status, lag in messages and seconds, and ETA",
  role: "viewer",
  query: groupListQuery,
  response: consumerGroupListSchema,
});

export const getConsumerGroup = endpoint({
  method: "GET",
  path: "/api/v1/kafka/consumer-groups/{cluster}/{groupId}",
  tag: "kafka",
  summary: "One consumer group: partitions, lag series over the range, status history",
  role: "viewer",
  params: z.object({ cluster: nameSegment("cluster", 200), groupId: nameSegment("consumer group", 1000) }),
  query: groupDetailQuery,
  response: consumerGroupDetailSchema,
  errors: [404],
});
