import { z } from "zod";
import { attentionKinds, attentionSeverities } from "../../attention";
import { endpoint } from "../endpoint";
import { utcTime } from "../common";

export const attentionItemSchema = z
  .object({
    kind: z.enum(attentionKinds),
    severity: z.enum(attentionSeverities),
    title: z.string(),
    detail: z.string(),
    url: z.string().meta({ description: "the page that explains it" }),
  })
  .meta({ id: "AttentionItem" });

export const attentionSchema = z
  .object({
    checkedAt: utcTime,
    windowMinutes: z.number().int().meta({ description: "dead letters count as arriving when captured within this many minutes" }),
    items: z.array(attentionItemSchema).meta({ description: "worst first: critical before warning; firing alerts, unhealthy sources, groups at WARN or worse (live ones), dead-letter sources taking dead letters, stuck workflows" }),
    allHealthy: z.boolean().meta({ description: "true only when items is empty" }),
  })
  .meta({ id: "Attention" });

export const getAttention = endpoint({
  method: "GET",
  path: "/api/v1/attention",
  tag: "health",
  role: "viewer",
  summary: "What needs attention now, worst first, each with a link to its page",
  response: attentionSchema,
});
