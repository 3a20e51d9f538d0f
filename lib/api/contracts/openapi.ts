import { z } from "zod";
import { endpoint } from "../endpoint";

export const getOpenApiDocument = endpoint({
  method: "GET",
  path: "/api/v1/openapi.json",
  tag: "meta",
  summary: "This API as an OpenAPI 3.1 document, generated from the endpoints' contracts",
  description: "Public, so that tools can read it: it answers without an identity (in token and proxy mode too).",
  role: "viewer",
  authenticated: false,
  response: z.record(z.string(), z.unknown()).meta({ id: "OpenApiDocument", description: "an OpenAPI 3.1 document" }),
});
