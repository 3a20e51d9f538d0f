import { z } from "zod";
import { searchKinds, trimPasted } from "../../search";
import { endpoint } from "../endpoint";
import { safeText } from "../common";

export const searchQuery = z.object({
  q: safeText(500)
    .refine((s) => trimPasted(s).length > 0, "must not be empty (spaces and invisible characters alone are nothing to search for)")
    .meta({ description: "anything pasted: a trace id (or traceparent), a span id, a message id or key, a business key value (an order id), a dead letter id, a group, topic or queue name" }),
});

export const searchResultSchema = z
  .object({
    kind: z.enum(searchKinds),
    id: z.string(),
    title: z.string(),
    url: z.string().meta({ description: "the page that shows it" }),
    exact: z.boolean().meta({ description: "the text is its own id or name: the box opens its page at once when it is the only one" }),
    match: z.enum(["id", "key", "name", "related", "prefix", "part"]).meta({ description: "how it matched, best first: its id, a key it carries, its whole name, related to those, a prefix, a part" }),
  })
  .meta({ id: "SearchResult" });

export const searchResponse = z.object({ q: z.string(), results: z.array(searchResultSchema).meta({ description: "best match first" }) }).meta({ id: "SearchResults" });

export const search = endpoint({
  method: "GET",
  path: "/api/v1/search",
  tag: "search",
  role: "viewer",
  summary: "One search box: traces, spans, dead letters, workflows, consumer groups, topics and queues matching what was pasted",
  query: searchQuery,
  response: searchResponse,
});
