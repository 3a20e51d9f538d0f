import fs from "node:fs";
import path from "node:path";
import { compileErrors, validate } from "@readme/openapi-parser";
import { describe, expect, it } from "vitest";
import { httpMethods } from "./endpoint";
import { endpoints } from "./contracts";
import { buildOpenApiDocument } from "./openapi";

const root = path.resolve(__dirname, "../..");
const apiDir = path.join(root, "app/api/v1");

interface RouteFile {
  file: string;
  /** the OpenAPI path: `[x]` segments become `{x}` */
  path: string;
  /** exported method → the contract it is wrapped with (`route(api.getQueue, ...)`), if it is */
  methods: Map<string, string | null>;
}

function routeFiles(dir = apiDir): RouteFile[] {
  const out: RouteFile[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...routeFiles(p));
    else if (e.name === "route.ts") {
      const src = fs.readFileSync(p, "utf8");
      const rel = path.relative(path.join(root, "app"), dir).split(path.sep);
      const methods = new Map<string, string | null>();
      for (const m of src.matchAll(/export\s+(?:const|async\s+function|function)\s+(GET|POST|PUT|PATCH|DELETE)\b(?:\s*=\s*route\(\s*\w+\.(\w+))?/g)) methods.set(m[1]!, m[2] ?? null);
      for (const m of src.matchAll(/export\s*\{([^}]*)\}/g)) for (const x of m[1]!.matchAll(/\bas\s+(GET|POST|PUT|PATCH|DELETE)\b|^\s*(GET|POST|PUT|PATCH|DELETE)\s*$/gm)) methods.set((x[1] ?? x[2])!, null);
      out.push({ file: path.relative(root, p), path: "/" + rel.map((s) => s.replace(/^\[(\w+)\]$/, "{$1}")).join("/"), methods });
    }
  }
  return out.sort((a, b) => a.path.localeCompare(b.path));
}

const doc = buildOpenApiDocument();
type Operation = { operationId?: string; responses?: Record<string, { content?: Record<string, { schema?: unknown }> }>; parameters?: { in: string; name: string; required?: boolean }[]; "x-switchyard-role"?: string };
const operations = Object.entries(doc.paths ?? {}).flatMap(([p, item]) =>
  httpMethods.filter((m) => (item as Record<string, unknown>)[m.toLowerCase()]).map((m) => ({ path: p, method: m, op: (item as Record<string, Operation>)[m.toLowerCase()]! })),
);

describe("the OpenAPI document", () => {
  it("is valid OpenAPI 3.1 (@readme/openapi-parser)", async () => {
    expect(doc.openapi).toBe("3.1.0");
    const result = await validate(structuredClone(doc) as never);
    expect(result.valid ? "" : compileErrors(result)).toBe("");
    expect(result.specification).toBe("OpenAPI");
  });

  it("has every route file under app/api/v1 with each method it exports, and nothing else", () => {
    const files = routeFiles();
    expect(files.length).toBeGreaterThan(10);
    const onDisk = files.flatMap((f) => [...f.methods.keys()].map((m) => `${m} ${f.path}`)).sort();
    const documented = operations.map((o) => `${o.method} ${o.path}`).sort();
    expect(documented).toEqual(onDisk);
  });

  it("each route is wrapped with the contract of its own method and path", () => {
    for (const f of routeFiles()) {
      for (const [method, contract] of f.methods) {
        expect(contract, `${method} in ${f.file} is not route(contract, handler)`).not.toBeNull();
        const ep = endpoints.find((e) => e.name === contract)?.endpoint;
        expect(ep, `${f.file}: no contract named ${contract} in lib/api/contracts/index.ts`).toBeDefined();
        expect(`${ep!.method} ${ep!.path}`, f.file).toBe(`${method} ${f.path}`);
      }
    }
  });

  it("names every operation once, with its role, its path parameters required, and the JSON error body of each failure", () => {
    const ids = operations.map((o) => o.op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const { path: p, method, op } of operations) {
      const where = `${method} ${p}`;
      expect(["viewer", "operator", "admin"], where).toContain(op["x-switchyard-role"]);
      for (const name of [...p.matchAll(/\{(\w+)\}/g)].map((m) => m[1]))
        expect(op.parameters?.find((x) => x.in === "path" && x.name === name)?.required, `${where}: path parameter ${name}`).toBe(true);
      for (const s of ["400", "401", "403", "429", "500"]) expect(op.responses?.[s]?.content?.["application/json"]?.schema, `${where} ${s}`).toEqual({ $ref: "#/components/schemas/ApiError" });
      if (p.includes("{")) expect(op.responses?.["404"], `${where}: a path naming nothing answers 404`).toBeDefined();
    }
  });

  it("marks a query parameter required exactly when the query does not parse without it", () => {
    let optional = 0;
    for (const { name, endpoint: ep } of endpoints) {
      if (!ep.query) continue;
      const op = operations.find((o) => o.op.operationId === name)!.op;
      for (const p of op.parameters?.filter((x) => x.in === "query") ?? []) {
        const shape = (ep.query as unknown as { shape: Record<string, { safeParse(v: unknown): { success: boolean } }> }).shape;
        const parsesWithout = shape[p.name]!.safeParse(undefined).success;
        expect(p.required ?? false, `${name} ?${p.name}`).toBe(!parsesWithout);
        if (parsesWithout) optional++;
      }
    }
    expect(optional).toBeGreaterThan(10);
  });

  it("writes down every success answer: no endpoint's response is left unspecified", () => {
    for (const { path: p, method, op } of operations) {
      const ok = Object.entries(op.responses ?? {}).find(([s]) => s.startsWith("2"))!;
      expect(ok, `${method} ${p}`).toBeDefined();
      if (ok[0] === "204") continue;
      const schema = ok[1].content?.["application/json"]?.schema;
      expect(schema, `${method} ${p}`).toBeDefined();
      expect(schema, `${method} ${p}: the response schema is empty (z.unknown())`).not.toEqual({});
    }
  });

  it("describes the role of each endpoint and the security schemes", () => {
    expect(Object.keys(doc.components?.securitySchemes ?? {}).sort()).toEqual(["bearer", "session"]);
    const discard = operations.find((o) => o.path === "/api/v1/dead-letters/discard");
    if (discard) expect(discard.op["x-switchyard-role"]).toBe("operator");
    const openapi = operations.find((o) => o.path === "/api/v1/openapi.json")!;
    expect((openapi.op as { security?: unknown[] }).security).toContainEqual({});
  });

  it("refuses two contracts for one method and path", () => {
    const one = endpoints.find((e) => e.name === "getHealth")!;
    expect(() => buildOpenApiDocument([one, { ...one, name: "again" }])).toThrow(/two contracts for GET \/api\/v1\/health/);
  });
});
