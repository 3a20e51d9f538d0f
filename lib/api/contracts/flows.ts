import { z } from "zod";
import { flowCouplings, flowEdgeKinds, flowHealths, flowIntents, flowNodeKinds } from "../../flows/model";
import { endpoint } from "../endpoint";
import { isoTime, rangeIssues, safeText } from "../common";

export const flowQuery = z
  .object({
    from: isoTime.optional().meta({ description: "start of the range (ISO); default 15 minutes before `to`" }),
    to: isoTime.optional().meta({ description: "end of the range (ISO); default now" }),
    focus: safeText(500).optional().meta({ description: "a service name: only what touches it (its edges, and the other edges of the brokers it uses)" }),
  })
  .superRefine((q, ctx) => rangeIssues(q, 31, ctx));

const health = z.enum(flowHealths).meta({ description: "unknown (nothing seen), healthy, degraded or failing" });

export const flowNodeSchema = z
  .object({
    id: z.string(),
    kind: z.enum(flowNodeKinds),
    name: z.string(),
    system: z.string().nullable().meta({ description: "kafka or rabbitmq for a broker node; null for a service" }),
    health,
    healthReason: z.string().nullable(),
    lag: z
      .array(z.object({ cluster: z.string(), group: z.string(), messages: z.number().nullable(), seconds: z.number().nullable(), status: z.string() }))
      .optional()
      .meta({ description: "a topic's consumer groups and their lag on it at their latest poll" }),
    cluster: z.string().optional().meta({ description: "a topic's Kafka cluster, when the collectors place it" }),
    broker: z.string().optional().meta({ description: "a queue's or exchange's broker, when the collectors place it" }),
    vhost: z.string().optional(),
    unplaced: z
      .boolean()
      .optional()
      .meta({ description: "true for traffic to a name the collectors know in several clusters or vhosts (each a node of its own, id ending in @cluster or @broker/vhost): spans do not say which" }),
    depth: z.object({ ready: z.number().nullable(), unacked: z.number().nullable(), consumers: z.number().nullable() }).optional().meta({ description: "a queue's depth at its latest poll" }),
    deadLetters: z.number().int().optional().meta({ description: "dead letters in the range: caught by this DLQ or DLT, or lost by this topic or queue" }),
  })
  .meta({ id: "FlowNode" });

export const flowEdgeSchema = z
  .object({
    id: z.string(),
    source: z.string().meta({ description: "a node id" }),
    target: z.string(),
    kind: z.enum(flowEdgeKinds).meta({ description: "how it was seen: a call, a publish, a consume, or dead-lettering" }),
    coupling: z.enum(flowCouplings),
    intent: z.enum(flowIntents),
    overridden: z.boolean().meta({ description: "coupling or intent set by FLOW_OVERRIDES instead of inferred" }),
    system: z.string(),
    group: z.string().nullable().meta({ description: "the consumer group of a consume edge" }),
    method: z.string().nullable().meta({ description: "the HTTP method(s) or RPC system of a call" }),
    count: z.number(),
    errors: z.number(),
    rate: z.number().meta({ description: "per second over the range" }),
    errorRate: z.number(),
    p50Ms: z.number().nullable(),
    p95Ms: z.number().nullable(),
    health,
  })
  .meta({ id: "FlowEdge" });

export const flowGraphSchema = z
  .object({
    from: z.string(),
    to: z.string(),
    focus: z.string().nullable(),
    nodes: z.array(flowNodeSchema),
    edges: z.array(flowEdgeSchema),
  })
  .meta({ id: "FlowGraph" });

export const getFlows = endpoint({
  method: "GET",
  path: "/api/v1/flows",
  summary: "The event-flow map of a range: services, topics, exchanges, queues and dead-letter queues, and the calls, publishes, consumes and dead-lettering between them",
  description:
    "Served from per-minute rollups the collectors keep as spans arrive (never from raw spans), with each topic's consumer-group lag and each queue's depth at their latest poll. Coupling (sync/async) and intent (query/command/event) are inferred and can be overridden with FLOW_OVERRIDES.",
  tag: "flows",
  role: "viewer",
  query: flowQuery,
  response: flowGraphSchema,
});
