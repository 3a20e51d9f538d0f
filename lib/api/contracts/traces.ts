import { z } from "zod";
import { traceIdParam, traceSearchQuery } from "../../traces/search-query";
import { endpoint } from "../endpoint";
import { unspecified } from "../common";

export const searchTraces = endpoint({
  method: "GET",
  path: "/api/v1/traces",
  tag: "traces",
  summary: "Trace search by service, operation, status, duration, attributes, destination, message id or key; cursor-paged",
  role: "viewer",
  query: traceSearchQuery,
  response: unspecified,
});

export const getTrace = endpoint({
  method: "GET",
  path: "/api/v1/traces/{traceId}",
  tag: "traces",
  summary: "One trace's spans, the traces it links to, and the dead letters that carry its id",
  role: "viewer",
  params: z.object({ traceId: traceIdParam }),
  response: unspecified,
  errors: [404],
});
