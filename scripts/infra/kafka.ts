import { execFile, spawn } from "node:child_process";
import { promisify } from "node:util";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";

/**
 * A single-node Apache Kafka (KRaft, combined broker + controller) run from the real broker jars, fetched from
 * Maven Central by `mvn` with the version pinned in scripts/kafka/pom.xml. Everything it writes lives in .infra/kafka.
 */

const root = path.resolve(__dirname, "../..");
export const kafkaHome = process.env.SWITCHYARD_INFRA_DIR
  ? path.join(process.env.SWITCHYARD_INFRA_DIR, "kafka")
  : path.join(root, ".infra", "kafka");
const pom = path.join(root, "scripts", "kafka", "pom.xml");
const classpathFile = path.join(kafkaHome, "classpath.txt");
const dataDir = path.join(kafkaHome, "data");
const propsFile = path.join(kafkaHome, "server.properties");
export const kafkaLog = path.join(kafkaHome, "kafka.log");
const pidFile = path.join(kafkaHome, "kafka.pid");
const log4jConfig = `-Dlog4j.configuration=file:${path.join(root, "scripts", "kafka", "log4j.properties")}`;
const run = promisify(execFile);

export function kafkaVersion(): string {
  const m = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(fs.readFileSync(pom, "utf8"));
  if (!m?.[1]) throw new Error(`no <kafka.version> in ${pom}`);
  return m[1];
}

/** Resolves the broker jars through Maven (downloading them into ~/.m2 the first time) and returns the classpath. */
export async function ensureKafkaJars(log: (s: string) => void = console.log): Promise<string> {
  const version = kafkaVersion();
  const stamp = `${classpathFile}.${version}`;
  if (fs.existsSync(stamp)) {
    const cp = fs.readFileSync(stamp, "utf8").trim();
    if (cp.split(":").every((j) => fs.existsSync(j))) return cp;
  }
  fs.mkdirSync(kafkaHome, { recursive: true });
  log(`kafka: resolving Apache Kafka ${version} jars with mvn (first run downloads them from Maven Central)...`);
  try {
    await run("mvn", ["-B", "-q", "-f", pom, "dependency:build-classpath", `-Dmdep.outputFile=${stamp}`], { maxBuffer: 16 << 20 });
  } catch (e) {
    throw new Error(`kafka: 'mvn dependency:build-classpath' failed; is Maven installed and Maven Central reachable? (${(e as Error).message})`);
  }
  return fs.readFileSync(stamp, "utf8").trim();
}

function java(): string {
  return process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, "bin", "java") : "java";
}

function writeProps(): void {
  const template = fs.readFileSync(path.join(root, "scripts", "kafka", "server.properties"), "utf8");
  fs.writeFileSync(propsFile, `${template}\nlog.dirs=${dataDir}\n`);
}

/** Formats the storage directory once (kafka.tools.StorageTool); a formatted directory is left alone. */
export async function formatStorage(classpath: string, log: (s: string) => void = console.log): Promise<void> {
  writeProps();
  if (fs.existsSync(path.join(dataDir, "meta.properties"))) return;
  fs.mkdirSync(dataDir, { recursive: true });
  const clusterId = randomBytes(16).toString("base64url");
  log(`kafka: formatting storage in ${dataDir} (cluster id ${clusterId})`);
  await run(java(), [log4jConfig, "-cp", classpath, "kafka.tools.StorageTool", "format", "-t", clusterId, "-c", propsFile]);
}

export function runningKafkaPid(): number | null {
  try {
    const pid = Number(fs.readFileSync(pidFile, "utf8").trim());
    if (pid > 0) {
      process.kill(pid, 0);
      return pid;
    }
  } catch {
    /* no pid file, or the process is gone */
  }
  return null;
}

/** Starts the broker detached (it outlives this script); logs go to .infra/kafka/kafka.log. */
export function startKafka(classpath: string): number {
  const out = fs.openSync(kafkaLog, "a");
  const child = spawn(
    java(),
    [
      "-Xms256m",
      "-Xmx768m",
      "-XX:+UseG1GC",
      "-Djava.awt.headless=true",
      log4jConfig,
      `-Dkafka.logs.dir=${kafkaHome}`,
      "-cp",
      classpath,
      "kafka.Kafka",
      propsFile,
    ],
    { detached: true, stdio: ["ignore", out, out] },
  );
  child.unref();
  if (!child.pid) throw new Error("kafka: java did not start");
  fs.writeFileSync(pidFile, String(child.pid));
  return child.pid;
}

export async function stopKafka(log: (s: string) => void = console.log): Promise<void> {
  const pid = runningKafkaPid();
  if (!pid) {
    log("kafka: not running (no live pid in .infra/kafka/kafka.pid)");
    return;
  }
  process.kill(pid, "SIGTERM");
  for (let i = 0; i < 60; i++) {
    await new Promise((r) => setTimeout(r, 500));
    try {
      process.kill(pid, 0);
    } catch {
      fs.rmSync(pidFile, { force: true });
      log(`kafka: stopped (pid ${pid})`);
      return;
    }
  }
  process.kill(pid, "SIGKILL");
  fs.rmSync(pidFile, { force: true });
  log(`kafka: killed (pid ${pid}) after 30 s`);
}
