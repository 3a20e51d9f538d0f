import { describe, expect, it } from "vitest";
import { endpoints } from "./contracts";
import { allowedMethods } from "./methods";

const templates = endpoints.map((e) => e.endpoint);

describe("allowedMethods", () => {
  it("names the methods of the route a path resolves to, fixed segments before parameters", () => {
    expect(allowedMethods(templates, "/api/v1/dead-letters/discard")).toEqual(["POST"]);
    expect(allowedMethods(templates, "/api/v1/dead-letters/12")).toEqual(["GET"]);
    expect(allowedMethods(templates, "/api/v1/session")?.sort()).toEqual(["DELETE", "POST"]);
    expect(allowedMethods(templates, "/api/v1/rabbitmq/queues/local/%2F/q")).toEqual(["GET"]);
  });
  it("is null for a path no contract has", () => {
    expect(allowedMethods(templates, "/api/v1/nope")).toBeNull();
    expect(allowedMethods(templates, "/api/v1/dead-letters/1/2")).toBeNull();
  });
});
