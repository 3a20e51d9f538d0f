/**
 * Every /api/v1 endpoint's contract, in one list: the OpenAPI document is generated from it (lib/api/openapi.ts) and
 * the tests check it against the route files. A new contract file: add one line below.
 */
import { httpMethods, type Endpoint } from "../endpoint";
import * as analysis from "./analysis";
import * as alerts from "./alerts";
import * as attention from "./attention";
import * as audit from "./audit";
import * as auth from "./auth";
import * as deadLetters from "./dead-letters";
import * as flows from "./flows";
import * as health from "./health";
import * as kafka from "./kafka";
import * as openapi from "./openapi";
import * as rabbitmq from "./rabbitmq";
import * as replays from "./replays";
import * as search from "./search";
import * as traces from "./traces";
import * as workflows from "./workflows";

/** A contract and the name it is exported under (the OpenAPI operationId). */
export interface NamedEndpoint {
  name: string;
  endpoint: Endpoint;
}

function isEndpoint(x: unknown): x is Endpoint {
  if (!x || typeof x !== "object") return false;
  const e = x as Partial<Endpoint>;
  return typeof e.path === "string" && e.path.startsWith("/api/") && (httpMethods as readonly unknown[]).includes(e.method) && e.response !== undefined;
}

/** The endpoints a contract module exports (its query and response schemas beside them are left out). */
function endpointsOf(module: Record<string, unknown>): NamedEndpoint[] {
  return Object.entries(module).flatMap(([name, x]) => (isEndpoint(x) ? [{ name, endpoint: x }] : []));
}

export const endpoints: readonly NamedEndpoint[] = [
  ...endpointsOf(health),
  ...endpointsOf(attention),
  ...endpointsOf(alerts),
  ...endpointsOf(kafka),
  ...endpointsOf(rabbitmq),
  ...endpointsOf(deadLetters),
  ...endpointsOf(search),
  ...endpointsOf(replays),
  ...endpointsOf(traces),
  ...endpointsOf(flows),
  ...endpointsOf(analysis),
  ...endpointsOf(workflows),
  ...endpointsOf(auth),
  ...endpointsOf(audit),
  ...endpointsOf(openapi),
];
