import { spawn, type ChildProcess } from "node:child_process";
import http from "node:http";

/** A second dashboard from the same build, in another configuration, on its own port (for the auth modes). */
export interface DashboardServer {
  url: string;
  port: number;
  /** everything it printed */
  logs: () => string;
  stop: () => Promise<void>;
}

export async function startDashboard(port: number, env: Record<string, string>): Promise<DashboardServer> {
  const child: ChildProcess = spawn("node_modules/.bin/next", ["start", "-p", String(port)], {
    // the build the e2e run made (playwright.config.ts gives the same default)
    env: { ...process.env, NEXT_DIST_DIR: process.env.NEXT_DIST_DIR ?? ".next-test", ...env, PORT: String(port), NEXT_TELEMETRY_DISABLED: "1" },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let logs = "";
  child.stdout!.on("data", (d) => (logs += d));
  child.stderr!.on("data", (d) => (logs += d));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the dashboard on ${port} exited ${child.exitCode}: ${logs.slice(-500)}`);
    const up = await fetch(`${url}/api/v1/me`).then((r) => r.status > 0, () => false);
    if (up) break;
    if (Date.now() > deadline) throw new Error(`the dashboard on ${port} did not start: ${logs.slice(-500)}`);
    await new Promise((r) => setTimeout(r, 300));
  }
  return {
    url,
    port,
    logs: () => logs,
    stop: async () => {
      if (child.exitCode !== null) return;
      const gone = new Promise((r) => child.once("exit", r));
      try {
        process.kill(-child.pid!, "SIGTERM");
      } catch {
        /* gone already */
      }
      await Promise.race([gone, new Promise((r) => setTimeout(r, 5000))]);
    },
  };
}

export interface RawAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json: unknown;
}

/**
 * One HTTP request with full control of what a browser would not let a test set: the local (source) address, the
 * Origin and Sec-Fetch-Site headers, cookies.
 */
export function rawRequest(
  url: string,
  opts: { method?: string; headers?: Record<string, string>; body?: unknown; localAddress?: string } = {},
): Promise<RawAnswer> {
  const u = new URL(url);
  const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: u.hostname,
        port: u.port,
        path: `${u.pathname}${u.search}`,
        method: opts.method ?? "GET",
        localAddress: opts.localAddress,
        headers: { ...(body === undefined ? {} : { "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) }), ...opts.headers },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (d) => (text += d));
        res.on("end", () => {
          let json: unknown = null;
          try {
            json = JSON.parse(text);
          } catch {
            /* not JSON */
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      },
    );
    req.on("error", reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}
