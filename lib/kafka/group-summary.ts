/**
 * The consumer-group model the API answers and the pages show: zod schemas, the types inferred from them (one model
 * per concept; lib/api/contracts/kafka.ts builds the endpoints' answers from these). Pure and framework-free.
 */
import { z } from "zod";
import { utcTime } from "../api/common";
import { groupStatuses } from "./group-health";

/** How a partition's lag in seconds was found: the committed record's own time, interpolated, or not at all. */
export const lagMethods = ["exact", "interpolated", "none"] as const;
export type LagMethod = (typeof lagMethods)[number];

/** A member of a consumer group, as the group's description names it. */
export const groupMemberSchema = z
  .object({
    memberId: z.string(),
    clientId: z.string(),
    host: z.string(),
    assignment: z.record(z.string(), z.array(z.number().int())).meta({ description: "topic → the partitions assigned to this member" }),
  })
  .meta({ id: "GroupMember" });
export type GroupMember = z.infer<typeof groupMemberSchema>;

const nullableNumber = (description: string) => z.number().nullable().meta({ description });

/** One consumer group as the collectors last evaluated it. */
export const groupSummarySchema = z
  .object({
    cluster: z.string(),
    groupId: z.string(),
    state: z.string().meta({ description: "Kafka's group state: Stable, Empty, PreparingRebalance, Dead, ..." }),
    status: z.enum(groupStatuses).meta({ description: "Switchyard's Burrow-style status: the worst of its partitions" }),
    totalLag: nullableNumber("messages behind the end, over every partition it committed on; null when not known"),
    uncommittedBacklog: z
      .number()
      .int()
      .meta({ description: "messages on the partitions it never committed on (end − log start offset): the backlog it would face on joining, not counted in totalLag" }),
    maxLagSeconds: nullableNumber("the largest lag in seconds of any partition"),
    etaSeconds: nullableNumber("seconds until caught up at the current rates; null when not catching up"),
    consumeRate: nullableNumber("messages per second committed"),
    produceRate: nullableNumber("messages per second produced to its partitions"),
    members: z.number().int(),
    emptySince: utcTime.nullable().meta({ description: "since when it has had no members; null while it has some" }),
    inactive: z.boolean().meta({ description: "no members for longer than KAFKA_INACTIVE_AFTER: listed apart (its status kept)" }),
    evaluatedAt: utcTime,
    error: z.string().nullable().meta({ description: "why the last poll could not evaluate the group (its figures are then older)" }),
    stale: z.boolean().meta({ description: "the figures are older than three poll intervals" }),
  })
  .meta({ id: "GroupSummary" });
export type GroupSummary = z.infer<typeof groupSummarySchema>;
