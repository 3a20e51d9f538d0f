import { z } from "zod";
import { durationHint, parseDuration } from "../duration";
import type { FlowOverride } from "../flows/graph";
import { flowCouplings, flowIntents, type FlowCoupling, type FlowIntent } from "../flows/model";
import { isRole, roles, type Role } from "../auth/roles";
import { parseCidrList, type Cidr } from "../auth/cidr";
import { authModes } from "../auth/modes";

/**
 * The one environment schema every Switchyard process reads (dashboard, collectors, demo, scripts).
 * A bad value stops the process with a message naming the variable; see `loadConfig`.
 */

const hostPort = /^[A-Za-z0-9.\-_[\]:]+:\d{1,5}$/;
const clusterName = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

export interface KafkaClusterConfig {
  name: string;
  brokers: string[];
}

export interface RabbitBrokerConfig {
  name: string;
  /** amqp(s):// URL, credentials included. Server-only. */
  amqpUrl: string;
  /** http(s):// base URL of the management API, without credentials. */
  managementUrl: string;
  managementUser: string;
  managementPassword: string;
}

/** `local=127.0.0.1:9092,127.0.0.1:9093;staging=10.0.0.5:9092` */
const kafkaClusters = z.string().transform((raw, ctx): KafkaClusterConfig[] => {
  const out: KafkaClusterConfig[] = [];
  for (const part of raw.split(";").map((s) => s.trim()).filter(Boolean)) {
    const eq = part.indexOf("=");
    const name = eq > 0 ? part.slice(0, eq).trim() : "";
    const list = eq > 0 ? part.slice(eq + 1) : "";
    if (!clusterName.test(name)) {
      ctx.addIssue({ code: "custom", message: `'${part}' must look like name=host:port[,host:port] (name: letters, digits, . _ -)` });
      continue;
    }
    const brokers = list.split(",").map((s) => s.trim()).filter(Boolean);
    const bad = brokers.filter((b) => !hostPort.test(b) || Number(b.slice(b.lastIndexOf(":") + 1)) > 65535);
    if (brokers.length === 0 || bad.length) {
      ctx.addIssue({ code: "custom", message: `cluster '${name}': broker '${bad[0] ?? list}' is not host:port` });
      continue;
    }
    out.push({ name, brokers });
  }
  if (!raw.trim()) ctx.addIssue({ code: "custom", message: "no cluster given (name=host:port)" });
  return out;
});

function parseUrl(s: string): URL | null {
  try {
    return new URL(s);
  } catch {
    return null;
  }
}

/** `local=amqp://guest:guest@127.0.0.1:5672|http://127.0.0.1:15672;other=amqps://...|https://...` */
const rabbitBrokers = z.string().transform((raw, ctx): RabbitBrokerConfig[] => {
  const out: RabbitBrokerConfig[] = [];
  for (const part of raw.split(";").map((s) => s.trim()).filter(Boolean)) {
    const eq = part.indexOf("=");
    const name = eq > 0 ? part.slice(0, eq).trim() : "";
    const [amqpRaw = "", mgmtRaw = ""] = (eq > 0 ? part.slice(eq + 1) : "").split("|").map((s) => s.trim());
    if (!clusterName.test(name)) {
      ctx.addIssue({ code: "custom", message: `'${redactUrls(part)}' must look like name=amqp://user:pass@host:5672|http://host:15672` });
      continue;
    }
    const amqp = parseUrl(amqpRaw);
    if (!amqp || (amqp.protocol !== "amqp:" && amqp.protocol !== "amqps:") || !amqp.hostname) {
      ctx.addIssue({ code: "custom", message: `broker '${name}': '${redactUrls(amqpRaw)}' is not an amqp:// or amqps:// URL` });
      continue;
    }
    const mgmt = parseUrl(mgmtRaw || `http://${amqp.hostname}:15672`);
    if (!mgmt || (mgmt.protocol !== "http:" && mgmt.protocol !== "https:") || !mgmt.hostname) {
      ctx.addIssue({ code: "custom", message: `broker '${name}': management URL '${redactUrls(mgmtRaw)}' is not an http(s):// URL` });
      continue;
    }
    const user = decodeURIComponent(mgmt.username || amqp.username || "guest");
    const password = decodeURIComponent(mgmt.password || amqp.password || "guest");
    mgmt.username = "";
    mgmt.password = "";
    out.push({
      name,
      amqpUrl: amqp.toString(),
      managementUrl: mgmt.toString().replace(/\/$/, ""),
      managementUser: user,
      managementPassword: password,
    });
  }
  if (!raw.trim()) ctx.addIssue({ code: "custom", message: "no broker given (name=amqp://...)" });
  return out;
});

const port = z.coerce.number().int().min(1).max(65535);

/** Comma-separated glob patterns. */
const globList = z.string().transform((s) => s.split(",").map((x) => x.trim()).filter(Boolean));
const positiveInt = z.coerce.number().int().positive();

const postgresUrl = z.string().refine((s) => {
  const u = parseUrl(s);
  return !!u && (u.protocol === "postgres:" || u.protocol === "postgresql:") && !!u.hostname && u.pathname.length > 1;
}, "must be a postgres://user@host:port/database URL");

/** `alice:operator:s3cret,bob:viewer:pw` — who may call the API in token mode, with which role (lib/auth/roles.ts). */
const authTokens = z.string().transform((raw, ctx) => {
  const out: { user: string; role: Role; token: string }[] = [];
  raw
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .forEach((item, i) => {
      const [user, role, ...rest] = item.split(":");
      const token = rest.join(":");
      if (!user || !role || !isRole(role) || token.length < 8) {
        // named by its place and, only when the entry has the user:role: shape, its user: never by its content
        const who = rest.length > 0 && user ? ` (user '${user}')` : "";
        ctx.addIssue({ code: "custom", message: `entry ${i + 1}${who} must be user:${roles.join("|")}:token (token at least 8 characters)` });
        return;
      }
      out.push({ user, role, token });
    });
  return out;
});

/** `sre:admin,oncall:operator` — proxy groups (AUTH_PROXY_GROUPS_HEADER) and the role each gives. */
const proxyRoles = z.string().transform((raw, ctx) => {
  const out: { group: string; role: Role }[] = [];
  for (const item of raw.split(",").map((s) => s.trim()).filter(Boolean)) {
    const i = item.lastIndexOf(":");
    const group = item.slice(0, i), role = item.slice(i + 1);
    if (i <= 0 || !isRole(role)) {
      ctx.addIssue({ code: "custom", message: `entry '${item}' must be group:${roles.join("|")}` });
      continue;
    }
    out.push({ group, role });
  }
  return out;
});

/** `127.0.0.1/32,10.0.0.0/8,::1/128` — the addresses a proxy-mode request may come from. */
const cidrList = z.string().transform((raw, ctx): Cidr[] => {
  const r = parseCidrList(raw);
  for (const bad of r.invalid) ctx.addIssue({ code: "custom", message: `'${bad}' is not an address or CIDR range` });
  return r.ranges;
});

/**
 * FLOW_OVERRIDES: `match=word[+word],…` where match is a glob on an edge's "source->target" names and each word a
 * coupling (sync, async) or an intent (query, command, event): `gw->price=command,*->audit=sync+event`.
 */
const flowOverrides = z
  .string()
  .transform((s, ctx) => {
    const out: FlowOverride[] = [];
    for (const part of s.split(",").map((x) => x.trim()).filter(Boolean)) {
      const at = part.lastIndexOf("=");
      const match = at > 0 ? part.slice(0, at).trim() : "";
      const words = at > 0 ? part.slice(at + 1).split("+").map((w) => w.trim()) : [];
      const o: FlowOverride = { match };
      for (const w of words) {
        if ((flowCouplings as readonly string[]).includes(w)) o.coupling = w as FlowCoupling;
        else if ((flowIntents as readonly string[]).includes(w)) o.intent = w as FlowIntent;
        else {
          ctx.addIssue({ code: "custom", message: `"${part}": "${w}" is no coupling (${flowCouplings.join(", ")}) or intent (${flowIntents.join(", ")})` });
          return z.NEVER;
        }
      }
      if (!match || !words.length) {
        ctx.addIssue({ code: "custom", message: `"${part}" must be match=word, e.g. gw->price=command` });
        return z.NEVER;
      }
      out.push(o);
    }
    return out;
  });

/** `glob=name,…`: WORKFLOW_NAMES, a workflow's name from its root operation (`POST /orders=order`). */
const nameRules = z.string().transform((s, ctx) => {
  const out: { match: string; name: string }[] = [];
  for (const part of s.split(",").map((x) => x.trim()).filter(Boolean)) {
    const at = part.lastIndexOf("=");
    if (at <= 0 || at === part.length - 1) {
      ctx.addIssue({ code: "custom", message: `"${part}" must be glob=name, e.g. POST /orders=order` });
      return z.NEVER;
    }
    out.push({ match: part.slice(0, at).trim(), name: part.slice(at + 1).trim() });
  }
  return out;
});

/** A duration: seconds, or a number with s, m or h (`300`, `90s`, `5m`, `1h`), in milliseconds. */
const duration = z.string().transform((s, ctx) => {
  const ms = parseDuration(s);
  if (ms === null) {
    ctx.addIssue({ code: "custom", message: `"${s}" is no duration: ${durationHint}` });
    return z.NEVER;
  }
  return ms;
});

const headerName = z.string().regex(/^[A-Za-z0-9-]{1,100}$/, "must be an HTTP header name").transform((s) => s.toLowerCase());

export const envSchema = z
  .object({
    DATABASE_URL: postgresUrl.prefault("postgres://postgres@127.0.0.1:5432/switchyard"),
    KAFKA_CLUSTERS: kafkaClusters.prefault("local=127.0.0.1:9092"),
    RABBITMQ_BROKERS: rabbitBrokers.prefault("local=amqp://guest:guest@127.0.0.1:5672|http://127.0.0.1:15672"),
    OTLP_HOST: z.string().min(1).default("0.0.0.0"),
    OTLP_HTTP_PORT: port.default(4318),
    OTLP_GRPC_PORT: port.default(4317),
    OTLP_MAX_BODY_BYTES: positiveInt.default(20 * 1024 * 1024),
    /** exports decoded and stored at once (HTTP and gRPC together); more are refused with 503 / UNAVAILABLE */
    OTLP_MAX_IN_FLIGHT: z.coerce.number().int().min(1).max(256).default(8),
    /** worker threads decoding export bodies into COPY text; 0 decodes on the main thread */
    OTLP_DECODE_THREADS: z.coerce.number().int().min(0).max(64).default(1),
    /** time an OTLP/HTTP request's body may take to arrive after its headers; past it 408 and the connection is closed */
    OTLP_BODY_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
    /** the least rate (bytes/s, as sent) an OTLP body must keep in every 2 s until it is in; slower is answered as past OTLP_BODY_TIMEOUT_MS; 0 for none */
    OTLP_BODY_MIN_RATE: z.coerce.number().int().min(0).max(1024 * 1024 * 1024).default(16 * 1024),
    COLLECTORS_PORT: port.default(9464),
    COLLECTORS_URL: z.url().default("http://127.0.0.1:9464"),
    HEALTH_INTERVAL_MS: positiveInt.default(5000),
    KAFKA_POLL_INTERVAL_MS: positiveInt.default(10_000),
    KAFKA_GROUP_INCLUDE: globList.prefault(""),
    KAFKA_GROUP_EXCLUDE: globList.prefault(""),
    /** samples per partition the group status is evaluated over */
    KAFKA_STATUS_WINDOW: z.coerce.number().int().min(3).max(100).default(10),
    /** lagging partitions per poll whose lag in seconds is read exactly (the rest are interpolated) */
    KAFKA_EXACT_LAG_MAX_PARTITIONS: z.coerce.number().int().min(0).default(500),
    KAFKA_DLT_PATTERNS: globList.prefault("*.DLT,*-dlt,*.dlq,*-dlq,dlq.*"),
    KAFKA_DLT_GROUP: z.string().min(1).default("switchyard-dlt"),
    DEAD_LETTER_MAX_BYTES: positiveInt.default(10 * 1024 * 1024),
    RABBITMQ_POLL_INTERVAL_MS: positiveInt.default(10_000),
    RABBITMQ_DLQ_PATTERNS: globList.prefault("*.dlq,*.dead,*_error,dlq.*"),
    /** capture: consume dead-letter queues into Postgres (ack after insert); observe: never drain (streams are read, others only monitored) */
    RABBITMQ_DLQ_MODE: z.enum(["capture", "observe"]).default("capture"),
    RABBITMQ_CAPTURE_PREFETCH: z.coerce.number().int().min(1).max(5000).default(200),
    /** vhost/queue names to check over AMQP when the management API is unavailable */
    RABBITMQ_FALLBACK_QUEUES: globList.prefault(""),
    /** the highest rate (messages per second) an operator may give a replay */
    REPLAY_MAX_RATE: z.coerce.number().int().min(1).max(1_000_000).default(20_000),
    /** the rate a replay gets when none is given (at most REPLAY_MAX_RATE) */
    REPLAY_DEFAULT_RATE: z.coerce.number().int().min(1).max(1_000_000).default(50),
    /** a message replayed this many times already is skipped unless the replay is forced */
    REPLAY_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(1000).default(3),
    RETENTION_RAW_HOURS: positiveInt.default(48),
    RETENTION_DOWNSAMPLED_DAYS: positiveInt.default(30),
    RETENTION_SPANS_DAYS: positiveInt.default(7),
    /** on: the collectors keep the flow map's rollups as spans arrive; off: not (the map shows only brokers' figures) */
    FLOW_ROLLUPS: z.enum(["on", "off"]).default("on"),
    /** alert rules to load at start (YAML or JSON); each start replaces the rules it loaded last time */
    ALERT_RULES_FILE: z.string().max(4096).optional(),
    /** how often the collectors evaluate the alert rules */
    ALERT_EVAL_INTERVAL_MS: z.coerce.number().int().min(500).max(3_600_000).default(10_000),
    /** Prometheus Alertmanager (its v2 API), e.g. http://127.0.0.1:9093 */
    ALERTMANAGER_URL: z.url().optional(),
    /** a Slack-compatible incoming webhook ({ text }) */
    ALERT_SLACK_WEBHOOK_URL: z.url().optional(),
    /** a generic JSON webhook; each POST signed with ALERT_WEBHOOK_SECRET (X-Switchyard-Signature: sha256=<hex HMAC of the body>) */
    ALERT_WEBHOOK_URL: z.url().optional(),
    ALERT_WEBHOOK_SECRET: z.string().min(16, "must be at least 16 characters").optional(),
    /** the dashboard's address as people reach it: alerts link to its pages (Alertmanager's generatorURL) */
    SWITCHYARD_PUBLIC_URL: z.url().default("http://localhost:3000"),
    /** the collectors' /metrics also gives each group's lag per partition (more series: off by default) */
    METRICS_KAFKA_PARTITIONS: z.enum(["on", "off"]).default("off"),
    /** the flow map's coupling and intent overrides (see flowOverrides) */
    FLOW_OVERRIDES: flowOverrides.prefault(""),
    /** error rates at or above which a flow edge is degraded, and failing */
    FLOW_ERROR_DEGRADED: z.coerce.number().min(0).max(1).default(0.01),
    FLOW_ERROR_FAILING: z.coerce.number().min(0).max(1).default(0.1),
    /** attribute names whose values are business keys joining traces into one workflow (an order id) */
    WORKFLOW_KEYS: globList.prefault("order.id,payment.id,messaging.kafka.message.key"),
    /** a workflow's name from its root operation: glob=name,… (default: the root operation itself) */
    WORKFLOW_NAMES: nameRules.prefault(""),
    /** span names (globs) of compensation steps */
    WORKFLOW_COMPENSATIONS: globList.prefault(""),
    /** a workflow with activity more recent than this is running (then, with nothing outstanding, completed) */
    WORKFLOW_QUIET_AFTER: duration.prefault("30s"),
    /** a pending or running workflow older than this is stuck */
    WORKFLOW_STUCK_AFTER: duration.prefault("5m"),
    /** a consumer group with no members for longer than this is inactive: listed apart, after the live ones */
    KAFKA_INACTIVE_AFTER: duration.prefault("1h"),
    /** a chain of synchronous calls deeper than this is flagged (/analysis) */
    SYNC_CHAIN_MAX_DEPTH: z.coerce.number().int().min(1).max(100).default(3),
    /** open: no sign-in, everyone has AUTH_OPEN_ROLE; token: AUTH_TOKENS (bearer or sign-in); proxy: a trusted proxy's headers */
    AUTH_MODE: z.enum(authModes).default("open"),
    AUTH_OPEN_ROLE: z.enum(roles).default("viewer"),
    AUTH_TOKENS: authTokens.prefault(""),
    /** the key session cookies are sealed with (token mode); at least 32 characters */
    SESSION_SECRET: z.string().min(32, "must be at least 32 characters").optional(),
    SESSION_TTL_HOURS: z.coerce.number().int().min(1).max(24 * 30).default(12),
    /** auto: Secure when the request came over https (or X-Forwarded-Proto says so); true behind a TLS proxy that does not say */
    SESSION_COOKIE_SECURE: z.enum(["auto", "true", "false"]).default("auto"),
    AUTH_PROXY_USER_HEADER: headerName.default("x-forwarded-user"),
    AUTH_PROXY_GROUPS_HEADER: headerName.default("x-forwarded-groups"),
    AUTH_PROXY_ROLES: proxyRoles.prefault(""),
    /** the role of a proxy-authenticated user none of whose groups is in AUTH_PROXY_ROLES */
    AUTH_PROXY_DEFAULT_ROLE: z.enum(roles).default("viewer"),
    AUTH_PROXY_TRUSTED: cidrList.prefault(""),
    /** host names (host or host:port) the dashboard answers to; empty for any. Set it: it defeats DNS rebinding */
    ALLOWED_HOSTS: z
      .string()
      .transform((raw) => raw.split(",").map((h) => h.trim().toLowerCase()).filter(Boolean))
      .prefault(""),
  })
  .superRefine((env, ctx) => {
    if (env.AUTH_MODE === "token" && env.AUTH_TOKENS.length === 0) {
      ctx.addIssue({ code: "custom", path: ["AUTH_TOKENS"], message: "AUTH_MODE=token needs at least one user:role:token" });
    }
    if (env.ALERT_WEBHOOK_URL && !env.ALERT_WEBHOOK_SECRET) {
      ctx.addIssue({ code: "custom", path: ["ALERT_WEBHOOK_SECRET"], message: "ALERT_WEBHOOK_URL needs an ALERT_WEBHOOK_SECRET of at least 16 characters (every POST is signed with it)" });
    }
    if (env.AUTH_MODE === "token" && !env.SESSION_SECRET) {
      ctx.addIssue({ code: "custom", path: ["SESSION_SECRET"], message: "AUTH_MODE=token needs a SESSION_SECRET of at least 32 characters (sign-in cookies are sealed with it)" });
    }
    if (env.AUTH_MODE === "proxy" && env.AUTH_PROXY_TRUSTED.length === 0) {
      ctx.addIssue({ code: "custom", path: ["AUTH_PROXY_TRUSTED"], message: "AUTH_MODE=proxy needs the proxy's addresses (CIDRs): a request from anywhere else is unauthenticated" });
    }
  });

export type Config = z.infer<typeof envSchema>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/** Parse an environment; empty strings count as unset so `FOO=` falls back to the default. */
export function parseConfig(env: Record<string, string | undefined>): Config {
  const cleaned: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v.trim() !== "") cleaned[k] = v;
  const r = envSchema.safeParse(cleaned);
  if (r.success) return r.data;
  // every message is redacted here, whichever check wrote it: the values of any variable may hold a URL with a password
  throw new ConfigError(r.error.issues.map((i) => redactEnvSecrets(`${i.path.join(".") || "environment"}: ${i.message}`, cleaned)));
}

let cached: Config | undefined;

/** For process entry points: parse once, and on a bad value print what is wrong and exit. */
export function loadConfig(): Config {
  if (cached) return cached;
  try {
    cached = parseConfig(process.env);
    return cached;
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(e.message);
      process.exit(78); // EX_CONFIG
    }
    throw e;
  }
}

/** A URL's start (`scheme://`) anywhere in a text. */
const urlStart = /[A-Za-z][A-Za-z0-9+.-]*:\/\//g;

interface UserinfoSpan {
  /** index just after `scheme://` */
  start: number;
  /** index of the `@` that ends the userinfo */
  at: number;
  /** the user name as written (may be empty); undefined when the userinfo names no password */
  user: string;
  password: string | undefined;
}

/**
 * The userinfo of every URL in a text. As in the WHATWG URL parser, the userinfo ends at the last `@` before the
 * host. Passwords are often written without percent-encoding, though, and a raw space, `/`, `?` or `#` in one would
 * end the parser's authority early (the URL then fails to parse, or parses with the password's tail as its path), so
 * here the last `@` is looked for up to the end of the line or the next `scheme://`: whatever follows a password can
 * only be hidden with it, never shown.
 */
function userinfoSpans(text: string): UserinfoSpan[] {
  const starts = [...text.matchAll(urlStart)].map((m) => ({ scheme: m.index, start: m.index + m[0].length }));
  const spans: UserinfoSpan[] = [];
  starts.forEach(({ start }, i) => {
    const nl = text.slice(start).search(/[\r\n]/);
    const end = Math.min(starts[i + 1]?.scheme ?? text.length, nl < 0 ? text.length : start + nl);
    const at = text.slice(start, end).lastIndexOf("@");
    if (at < 0) return;
    const userinfo = text.slice(start, start + at);
    const colon = userinfo.indexOf(":");
    spans.push({
      start,
      at: start + at,
      user: colon < 0 ? userinfo : userinfo.slice(0, colon),
      password: colon < 0 ? undefined : userinfo.slice(colon + 1),
    });
  });
  return spans;
}

/**
 * Removes passwords from any URL in a message (a configuration value, a driver's error that repeats its URL), so it
 * can be shown to a browser or a log: `amqp://user:***@host:5672/`. When a URL cannot be read whole, more than the
 * password may be hidden, never less (see `userinfoSpans`).
 */
export function redactUrls(text: string): string {
  let out = "";
  let last = 0;
  for (const s of userinfoSpans(text)) {
    if (s.password === undefined) continue;
    out += `${text.slice(last, s.start)}${s.user}:***`;
    last = s.at;
  }
  return out + text.slice(last);
}

/** The passwords written in the URLs of an environment, as written and decoded. */
function urlPasswords(env: Record<string, string>): string[] {
  const out = new Set<string>();
  for (const value of Object.values(env)) {
    for (const { password } of userinfoSpans(value)) {
      if (!password) continue;
      out.add(password);
      try {
        out.add(decodeURIComponent(password));
      } catch {
        /* not valid percent-encoding: the raw form is enough */
      }
    }
  }
  // only passwords long enough not to be ordinary words of a message; shorter ones rely on redactUrls
  return [...out].filter((p) => p.length >= 4).sort((a, b) => b.length - a.length);
}

/** A message about an environment, with its URLs' passwords hidden wherever they appear, in a URL or not. */
export function redactEnvSecrets(text: string, env: Record<string, string>): string {
  let out = redactUrls(text);
  for (const p of urlPasswords(env)) out = out.split(p).join("***");
  return out;
}
