/**
 * The layering the README states, checked on every `npm test` (scripts/test.sh): a violation fails the run and names
 * the rule. Client components are the files under app/ that start with "use client"; they are found here, when the
 * check runs, so a new one is covered without editing this file.
 */
const fs = require("node:fs");
const path = require("node:path");

function clientComponents(dir) {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...clientComponents(p));
    else if (/\.(tsx?|jsx?)$/.test(e.name) && /^\s*["']use client["']/.test(fs.readFileSync(p, "utf8"))) out.push(p);
  }
  return out;
}
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const clients = clientComponents(path.join(__dirname, "app")).map((p) => `^${escape(path.relative(__dirname, p))}$`);

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "lib-is-framework-free",
      comment: "lib/ is domain logic shared by the dashboard and the collectors: it imports neither, nor db/, nor a framework",
      severity: "error",
      from: { path: "^lib/" },
      to: { path: ["^app/", "^collectors/", "^db/", "^node_modules/(next|react|react-dom)/"] },
    },
    {
      name: "db-below-app-and-collectors",
      comment: "db/ owns schema, migrations and queries; it is used by app/ and collectors/ and imports neither",
      severity: "error",
      from: { path: "^db/" },
      to: { path: ["^app/", "^collectors/"] },
    },
    {
      name: "app-and-collectors-apart",
      comment: "the dashboard and the collectors are separate processes that share lib/ and db/, not each other",
      severity: "error",
      from: { path: "^app/" },
      to: { path: "^collectors/" },
    },
    {
      name: "collectors-not-app",
      severity: "error",
      from: { path: "^collectors/" },
      to: { path: "^app/" },
    },
    {
      name: "client-components-no-server-code",
      comment: "a client component runs in the browser: nothing of db/, app/_server/, collectors/, server-only or a broker/database driver, directly or through what it imports",
      severity: "error",
      from: { path: clients.length ? clients : ["^$never"] },
      to: {
        path: ["^db/", "^app/_server/", "^collectors/", "^node_modules/(server-only|pg|pg-copy-streams|kafkajs|amqplib|drizzle-orm|prom-client)/"],
        reachable: true,
      },
    },
    {
      name: "demo-is-someone-elses-service",
      comment: "demo/ stands for other people's services: it uses Switchyard only over its wire protocols, never its code",
      severity: "error",
      from: { path: "^demo/" },
      to: { path: ["^app/", "^lib/", "^db/", "^collectors/"] },
    },
    {
      name: "no-circular",
      severity: "error",
      from: { path: "^(app|lib|db|collectors)/" },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: ["^node_modules/", "^\\.next", "^lib/otlp/(gen|pbjs)/"] },
    tsConfig: { fileName: "tsconfig.json" },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { exportsFields: ["exports"], conditionNames: ["import", "require", "node", "default", "types"] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
