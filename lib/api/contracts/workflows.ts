import { z } from "zod";
import { workflowStates } from "../../workflow-states";
import { endpoint } from "../endpoint";
import { idSegment, isoTime, queryBool, queryLimit, safeText, utcTime } from "../common";
import { durationHint, parseDuration } from "../../duration";

const range = {
  from: isoTime.optional().meta({ description: "workflows active at or after this (ISO)" }),
  to: isoTime.optional().meta({ description: "workflows started at or before this (ISO)" }),
};

export const workflowListQuery = z.object({
  state: z.enum(workflowStates).optional(),
  name: safeText(500).optional(),
  key: safeText(500).optional().meta({ description: "a business key value (an order id): its workflow" }),
  stuck: queryBool.optional().meta({ description: "pending or running past WORKFLOW_STUCK_AFTER" }),
  olderThan: z
    .string()
    .max(20)
    .transform((s, ctx) => {
      const ms = parseDuration(s);
      if (ms === null) {
        ctx.addIssue({ code: "custom", message: `must be a duration: ${durationHint}` });
        return z.NEVER;
      }
      // past a century nothing is older, and Postgres's intervals end not far beyond (3,000,000 days overflow them)
      if (ms > 36_500 * 86_400_000) {
        ctx.addIssue({ code: "custom", message: "may be at most 36500d (a century)" });
        return z.NEVER;
      }
      return ms;
    })
    .optional()
    .meta({ description: "only workflows started longer ago than this (`5m`, `1h`, `2d`)" }),
  ...range,
  cursor: safeText(2000).optional(),
  limit: queryLimit(200, 50),
});

export const workflowSummaryQuery = z.object(range);

const evidence = z.object({ at: utcTime, text: z.string(), traceId: z.string().optional(), spanId: z.string().optional(), deadLetterId: z.number().int().optional() });

export const workflowSchema = z
  .object({
    id: z.number().int(),
    key: z.string().meta({ description: "the business key value joining its traces" }),
    keyName: z.string(),
    name: z.string().meta({ description: "from its root operation, or WORKFLOW_NAMES" }),
    state: z.enum(workflowStates),
    stuck: z.boolean(),
    startedAt: utcTime,
    lastActivityAt: utcTime,
    derivedAt: utcTime.nullable(),
    traceIds: z.array(z.string()),
    deadLetterIds: z.array(z.number().int()),
    waitingOn: z
      .object({
        system: z.string(),
        destination: z.string(),
        group: z.string().nullable(),
        since: utcTime,
        lag: z.object({ messages: z.number().nullable(), seconds: z.number().nullable(), status: z.string() }).nullable().meta({ description: "the group's lag on the topic now" }),
        depth: z.object({ ready: z.number().nullable(), consumers: z.number().nullable() }).nullable().meta({ description: "the queue's depth now" }),
        cluster: z.string().nullable().meta({ description: "Kafka: the cluster of the group it waits in (its lag page), when known" }),
        broker: z.string().nullable().meta({ description: "RabbitMQ: the broker of the queue it waits in, when known" }),
        vhost: z.string().nullable().meta({ description: "RabbitMQ: the queue's vhost, when known" }),
      })
      .nullable(),
    evidence: z.array(evidence),
  })
  .meta({ id: "Workflow" });

export const workflowListSchema = z.object({ items: z.array(workflowSchema), nextCursor: z.string().nullable() });

export const workflowStepSchema = z.object({ traceId: z.string(), spanId: z.string(), service: z.string(), name: z.string(), kind: z.number().int(), start: utcTime, durationMs: z.number(), error: z.boolean(), destination: z.string().nullable() });
export const workflowDetailSchema = workflowSchema.extend({ steps: z.array(workflowStepSchema).meta({ description: "its spans across its traces, in time order (at most 500)" }) }).meta({ id: "WorkflowDetail" });

export const workflowSummarySchema = z.object({
  from: utcTime,
  to: utcTime,
  bucketSeconds: z.number().int(),
  byState: z.array(z.object({ state: z.enum(workflowStates), count: z.number().int() })),
  byName: z.array(z.object({ name: z.string(), state: z.enum(workflowStates), count: z.number().int() })),
  stuck: z.number().int(),
  series: z
    .array(z.object({ t: utcTime, name: z.string(), state: z.enum(workflowStates), count: z.number().int() }))
    .meta({ description: "workflows started per bucket, by name and the state they are in now" }),
});

export const listWorkflows = endpoint({
  method: "GET",
  path: "/api/v1/workflows",
  tag: "workflows",
  role: "viewer",
  summary: "Business workflows (an order, a payment) and where each stands: running, pending, retrying, failed, dead-lettered, compensated or completed, with its evidence",
  query: workflowListQuery,
  response: workflowListSchema,
});

export const getWorkflowSummary = endpoint({
  method: "GET",
  path: "/api/v1/workflows/summary",
  tag: "workflows",
  role: "viewer",
  summary: "Workflow counts by state and name, and over time",
  query: workflowSummaryQuery,
  response: workflowSummarySchema,
});

export const getWorkflow = endpoint({
  method: "GET",
  path: "/api/v1/workflows/{id}",
  tag: "workflows",
  role: "viewer",
  summary: "One workflow with its steps across its traces",
  params: z.object({ id: idSegment("workflow") }),
  response: workflowDetailSchema,
  errors: [404],
});
