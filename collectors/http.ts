import http from "node:http";
import type { HealthRegistry } from "./health-registry";
import { registry } from "./metrics";

/** /healthz (200 while the process runs, with each source's state) and Prometheus /metrics. */
export function startOpsServer(host: string, port: number, health: HealthRegistry): Promise<http.Server> {
  const server = http.createServer(async (req, res) => {
    const path = req.url?.split("?")[0];
    if (path === "/healthz") {
      const sources = health.all();
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ status: sources.every((s) => s.healthy) ? "ok" : "degraded", sources }));
    } else if (path === "/metrics") {
      res.writeHead(200, { "content-type": registry.contentType });
      res.end(await registry.metrics());
    } else {
      res.writeHead(404, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { code: "not_found", message: "try /healthz or /metrics" } }));
    }
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve(server));
  });
}
