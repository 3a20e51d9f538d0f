import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig, redactUrls } from "./env";

function problems(env: Record<string, string>): string[] {
  try {
    parseConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error("expected a ConfigError");
}

describe("parseConfig", () => {
  it("gives the local stack by default", () => {
    const c = parseConfig({});
    expect(c.KAFKA_CLUSTERS).toEqual([{ name: "local", brokers: ["127.0.0.1:9092"] }]);
    expect(c.RABBITMQ_BROKERS[0]).toMatchObject({ name: "local", managementUrl: "http://127.0.0.1:15672", managementUser: "guest", managementPassword: "guest" });
    expect(c.DATABASE_URL).toBe("postgres://postgres@127.0.0.1:5432/switchyard");
    expect(c.OTLP_HTTP_PORT).toBe(4318);
  });

  it("treats an empty variable as unset", () => {
    expect(parseConfig({ OTLP_HTTP_PORT: "" }).OTLP_HTTP_PORT).toBe(4318);
  });

  it("reads several Kafka clusters and RabbitMQ brokers", () => {
    const c = parseConfig({
      KAFKA_CLUSTERS: "prod=k1:9092,k2:9092; staging=10.0.0.5:19092",
      RABBITMQ_BROKERS: "eu=amqps://app:s%40cret@rabbit.eu:5671|https://ops:pw@rabbit.eu:15671;us=amqp://u:p@rabbit.us",
    });
    expect(c.KAFKA_CLUSTERS).toEqual([
      { name: "prod", brokers: ["k1:9092", "k2:9092"] },
      { name: "staging", brokers: ["10.0.0.5:19092"] },
    ]);
    expect(c.RABBITMQ_BROKERS).toHaveLength(2);
    expect(c.RABBITMQ_BROKERS[0]).toMatchObject({ name: "eu", managementUrl: "https://rabbit.eu:15671", managementUser: "ops", managementPassword: "pw" });
    // management credentials default to the AMQP ones, the management URL to port 15672 on the AMQP host
    expect(c.RABBITMQ_BROKERS[1]).toMatchObject({ managementUrl: "http://rabbit.us:15672", managementUser: "u", managementPassword: "p" });
  });

  it("names the variable and the broker that is wrong", () => {
    const p = problems({ KAFKA_CLUSTERS: "prod=k1:9092,not-a-broker" });
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(/^KAFKA_CLUSTERS: .*'not-a-broker' is not host:port/);
  });

  it("rejects a malformed RabbitMQ URL without echoing its password", () => {
    const p = problems({ RABBITMQ_BROKERS: "main=http://admin:hunter2@rabbit:5672" });
    expect(p[0]).toMatch(/^RABBITMQ_BROKERS: broker 'main'.*not an amqp/);
    expect(p.join()).not.toContain("hunter2");
  });

  it("rejects a DATABASE_URL that is not postgres", () => {
    expect(problems({ DATABASE_URL: "mysql://root@localhost/db" })[0]).toMatch(/^DATABASE_URL: /);
  });

  it("reports every bad variable at once", () => {
    const p = problems({ OTLP_HTTP_PORT: "99999", HEALTH_INTERVAL_MS: "soon", KAFKA_CLUSTERS: "=x:1" });
    expect(p.map((x) => x.split(":")[0]).sort()).toEqual(["HEALTH_INTERVAL_MS", "KAFKA_CLUSTERS", "OTLP_HTTP_PORT"]);
  });

  it("needs tokens in token auth mode", () => {
    expect(problems({ AUTH_MODE: "token" })[0]).toMatch(/^AUTH_TOKENS: /);
    const secret = "k".repeat(32);
    expect(problems({ AUTH_MODE: "token", AUTH_TOKENS: "alice:operator:0123456789" })[0]).toMatch(/^SESSION_SECRET: /);
    expect(problems({ AUTH_MODE: "token", AUTH_TOKENS: "alice:operator:0123456789", SESSION_SECRET: "short-secret" }).join()).not.toContain("short-secret");
    const c = parseConfig({ AUTH_MODE: "token", AUTH_TOKENS: "alice:operator:0123456789,bob:viewer:abcdefghij", SESSION_SECRET: secret });
    expect(c.AUTH_TOKENS.map((t) => `${t.user}/${t.role}`)).toEqual(["alice/operator", "bob/viewer"]);
    expect(problems({ AUTH_TOKENS: "eve:root:0123456789" })[0]).toMatch(/^AUTH_TOKENS: entry 1 \(user 'eve'\)/);
    // an entry that is only a token (no user:role:) is named by its place, never by its content
    const leak = problems({ AUTH_TOKENS: "ada:admin:0123456789,s3cr3t-token-value" });
    expect(leak[0]).toMatch(/^AUTH_TOKENS: entry 2 must be/);
    expect(leak.join()).not.toContain("s3cr3t");
    expect(parseConfig({ AUTH_TOKENS: "ada:admin:0123456789" }).AUTH_TOKENS[0]?.role).toBe("admin");
  });
});

describe("auth modes", () => {
  it("refuses an unknown mode, naming the variable", () => {
    expect(problems({ AUTH_MODE: "ldap" })[0]).toMatch(/^AUTH_MODE: /);
  });

  it("reads the open role, defaulting to viewer", () => {
    expect(parseConfig({}).AUTH_OPEN_ROLE).toBe("viewer");
    expect(parseConfig({ AUTH_OPEN_ROLE: "admin" }).AUTH_OPEN_ROLE).toBe("admin");
    expect(problems({ AUTH_OPEN_ROLE: "root" })[0]).toMatch(/^AUTH_OPEN_ROLE: /);
  });

  it("needs trusted addresses in proxy mode and reads group roles and headers", () => {
    expect(problems({ AUTH_MODE: "proxy" })[0]).toMatch(/^AUTH_PROXY_TRUSTED: /);
    expect(problems({ AUTH_MODE: "proxy", AUTH_PROXY_TRUSTED: "10.0.0.0/33" })[0]).toMatch(/^AUTH_PROXY_TRUSTED: '10.0.0.0\/33'/);
    const c = parseConfig({ AUTH_MODE: "proxy", AUTH_PROXY_TRUSTED: "127.0.0.1, 10.0.0.0/8,::1", AUTH_PROXY_ROLES: "sre:admin,team:oncall:operator", AUTH_PROXY_USER_HEADER: "X-Auth-Request-User" });
    expect(c.AUTH_PROXY_TRUSTED.map((r) => r.text)).toEqual(["127.0.0.1", "10.0.0.0/8", "::1"]);
    expect(c.AUTH_PROXY_ROLES).toEqual([{ group: "sre", role: "admin" }, { group: "team:oncall", role: "operator" }]);
    expect(c.AUTH_PROXY_USER_HEADER).toBe("x-auth-request-user");
    expect(c.AUTH_PROXY_GROUPS_HEADER).toBe("x-forwarded-groups");
    expect(problems({ AUTH_PROXY_ROLES: "sre:root" })[0]).toMatch(/^AUTH_PROXY_ROLES: entry 'sre:root'/);
    expect(problems({ AUTH_PROXY_USER_HEADER: "X User" })[0]).toMatch(/^AUTH_PROXY_USER_HEADER: /);
  });
});

describe("redactUrls", () => {
  it("hides passwords in any URL and keeps the rest", () => {
    expect(redactUrls("connect amqp://guest:guest@host:5672/ failed; postgres://u@db/x")).toBe("connect amqp://guest:***@host:5672/ failed; postgres://u@db/x");
  });
});

describe("redaction of passwords that are awkward for a pattern", () => {
  const hostile = ["p@ss w/rd:x", "pa/ss", "p@ss", "a b", "x:y@z/w?q#h", "pass%word", "tail@"];

  it.each(hostile)("hides %j written raw in a URL, keeping the user and the host", (pw) => {
    for (const scheme of ["amqp", "postgres", "https"]) {
      const out = redactUrls(`connect ${scheme}://app:${pw}@db.example:5432/x failed`);
      expect(out).not.toContain(pw);
      expect(out).toContain(`${scheme}://app:***@db.example:5432/x failed`);
    }
  });

  it.each(hostile)("hides %j percent-encoded in a URL", (pw) => {
    const out = redactUrls(`amqps://app:${encodeURIComponent(pw)}@rabbit:5671/vh`);
    expect(out).toBe("amqps://app:***@rabbit:5671/vh");
  });

  it("redacts each URL of a message on its own and leaves URLs without a password alone", () => {
    expect(redactUrls("a amqp://u:p w@h1:1/ b; postgres://v@h2/db c\nhttp://w:s/t@h3 d")).toBe("a amqp://u:***@h1:1/ b; postgres://v@h2/db c\nhttp://w:***@h3 d");
    expect(redactUrls("GET http://127.0.0.1:15672/api/queues 401")).toBe("GET http://127.0.0.1:15672/api/queues 401");
  });

  it.each(hostile)("a configuration error never echoes %j, wherever the URL is", (pw) => {
    const env = {
      DATABASE_URL: `mysql://app:${pw}@db:5432/x`,
      RABBITMQ_BROKERS: `main=amqp://app:${pw}@rabbit:5672|ftp://ops:${pw}@rabbit:15672`,
      KAFKA_CLUSTERS: `prod=sasl://app:${pw}@k1:9092`,
    };
    const p = problems(env);
    expect(p.map((x) => x.split(":")[0]).sort()).toEqual(["DATABASE_URL", "KAFKA_CLUSTERS", "RABBITMQ_BROKERS"]);
    for (const line of p) {
      expect(line).not.toContain(pw);
      expect(line).not.toContain(encodeURIComponent(pw));
    }
  });

  it("a broker URL that cannot be parsed is named without its password", () => {
    const p = problems({ RABBITMQ_BROKERS: "main=amqp://guest:p@ss w/rd:x@127.0.0.1:5672|http://127.0.0.1:15672" });
    expect(p[0]).toMatch(/^RABBITMQ_BROKERS: broker 'main'/);
    expect(p[0]).toContain("amqp://guest:***@127.0.0.1:5672");
    expect(p[0]).not.toMatch(/ss w|w\/rd|rd:x/);
  });
});
