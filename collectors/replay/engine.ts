import pg from "pg";
import type { Config } from "../../lib/config/env";
import { backoffDelay } from "../../lib/backoff";
import { errorMessage } from "../../lib/errors";
import { batchSize, Pacer } from "../../lib/replay/pace";
import { parentSpanOf } from "../../lib/replay/message";
import type { SpanRecord } from "../../lib/otlp/span-record";
import { noMessaging } from "../../lib/traces/span";
import type { Db } from "../../db/client";
import { replayChannel } from "../../db/queries/replay-control";
import {
  claimItems,
  failReplay,
  finishIfDone,
  heartbeat,
  markConfirmed,
  markRefused,
  markRunning,
  noteError,
  noteKafkaTargets,
  replayState,
  requeueItems,
  runnableReplays,
  sendingItems,
  settleItems,
  type ClaimedItem,
  type RunnableReplay,
} from "../../db/queries/replay-run";
import { insertSpans } from "../../db/queries/spans";
import { replayItems } from "../metrics";
import { KafkaReplaySender, type SendOutcome } from "./kafka-sender";
import { RabbitReplaySender } from "./rabbit-sender";

/** Advisory-lock namespace of replays: the process holding (namespace, replay id) is the one sending it. */
const lockSpace = 0x5e1a;

/**
 * Sends replays, in the collectors (the process holding the broker connections). The dashboard writes a replay and
 * its items to Postgres and notifies; this engine LISTENs (and polls every few seconds as a fallback), takes each
 * runnable replay under a session advisory lock on its own connection (a second collectors process leaves it
 * alone; a killed process's lock goes with its connection, so a restarted one takes over at once), and sends its
 * items in batches at the replay's rate: each item is `sending` in Postgres before its send and `confirmed` after
 * the broker's confirm. A replay is re-read between batches, so pause and cancel take effect within a batch (at most
 * 200 ms of sending). On start, and after any error, items left in `sending` are recovered first (Kafka: looked for
 * in the partition; RabbitMQ: sent again, marked uncertain). Items are settled (processed, failed again) from the
 * consumers' spans and from dead letters that come back with the replay's id, every second.
 */
export class ReplayEngine {
  private client: pg.Client | null = null;
  private readonly running = new Map<number, { wake: () => void }>();
  private readonly kafka = new Map<string, KafkaReplaySender>();
  private readonly rabbit = new Map<string, RabbitReplaySender>();
  private stopped = false;
  private pollTimer: NodeJS.Timeout | null = null;
  private settleTimer: NodeJS.Timeout | null = null;
  private connectAttempt = 0;
  private scanning = false;

  constructor(
    private readonly config: Pick<Config, "DATABASE_URL" | "KAFKA_CLUSTERS" | "RABBITMQ_BROKERS">,
    private readonly db: Db,
    private readonly log: (s: string) => void,
    private readonly opts: { pollMs: number; settleMs: number } = { pollMs: 3000, settleMs: 1000 },
  ) {
    for (const c of config.KAFKA_CLUSTERS) this.kafka.set(c.name, new KafkaReplaySender(c));
    for (const b of config.RABBITMQ_BROKERS) this.rabbit.set(b.name, new RabbitReplaySender(b));
  }

  start(): this {
    void this.connect();
    this.pollTimer = setInterval(() => void this.scan(), this.opts.pollMs);
    let lastWide = 0;
    const settle = async () => {
      if (this.stopped) return;
      try {
        // every second the last 10 minutes (where consumer spans land), every minute the last day
        const wide = Date.now() - lastWide > 60_000;
        await settleItems(this.db, wide ? { minutes: 24 * 60, limit: 50_000 } : { minutes: 10, limit: 20_000 });
        if (wide) lastWide = Date.now();
      } catch (e) {
        this.log(`[replay] settling items: ${errorMessage(e)}`);
      }
      if (!this.stopped) this.settleTimer = setTimeout(() => void settle(), this.opts.settleMs);
    };
    void settle();
    return this;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.pollTimer) clearInterval(this.pollTimer);
    if (this.settleTimer) clearTimeout(this.settleTimer);
    for (const r of this.running.values()) r.wake();
    for (let i = 0; i < 50 && this.running.size > 0; i++) await new Promise((r) => setTimeout(r, 100));
    await this.client?.end().catch(() => undefined);
    await Promise.allSettled([...this.kafka.values(), ...this.rabbit.values()].map((s) => s.close()));
  }

  /** The LISTEN and lock connection; when it drops, every run stops (its locks went with it) and it is made again. */
  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client({ connectionString: this.config.DATABASE_URL, application_name: "switchyard-replay" });
    client.on("error", () => undefined);
    try {
      await client.connect();
      await client.query(`listen ${replayChannel}`);
    } catch (e) {
      await client.end().catch(() => undefined);
      const wait = backoffDelay(this.connectAttempt++);
      this.log(`[replay] cannot listen on Postgres (${errorMessage(e)}); retrying in ${Math.round(wait / 1000)} s`);
      setTimeout(() => void this.connect(), wait);
      return;
    }
    this.connectAttempt = 0;
    this.client = client;
    client.on("notification", (n) => {
      const id = Number(n.payload);
      const run = this.running.get(id);
      if (run) run.wake();
      else void this.scan();
    });
    client.on("end", () => {
      if (this.client === client) this.client = null;
      for (const r of this.running.values()) r.wake();
      if (!this.stopped) setTimeout(() => void this.connect(), 1000);
    });
    void this.scan();
  }

  /** Takes every runnable replay no run of this process holds, when its lock is free. */
  private async scan(): Promise<void> {
    if (this.stopped || !this.client || this.scanning) return;
    this.scanning = true;
    try {
      for (const r of await runnableReplays(this.db)) {
        if (this.running.has(r.id) || !this.client) continue;
        const got = await this.client.query<{ ok: boolean }>("select pg_try_advisory_lock($1, $2) as ok", [lockSpace, r.id]);
        if (!got.rows[0]?.ok) continue;
        this.launch(r.id);
      }
    } catch (e) {
      this.log(`[replay] looking for replays: ${errorMessage(e)}`);
    } finally {
      this.scanning = false;
    }
  }

  private launch(id: number) {
    let wakeUp: () => void = () => undefined;
    const entry = { wake: () => wakeUp() };
    this.running.set(id, entry);
    const client = this.client;
    const sleep = (ms: number) =>
      new Promise<void>((resolve) => {
        const t = setTimeout(done, ms);
        function done() {
          clearTimeout(t);
          wakeUp = () => undefined;
          resolve();
        }
        wakeUp = done;
      });
    void this.run(id, sleep, () => this.client !== client || this.stopped)
      .catch((e: unknown) => this.log(`[replay ${id}] ${errorMessage(e)}`))
      .finally(async () => {
        this.running.delete(id);
        if (client && this.client === client) await client.query("select pg_advisory_unlock($1, $2)", [lockSpace, id]).catch(() => undefined);
      });
  }

  /** One replay until it is done, paused, cancelled or failed, or this process loses its lock. */
  private async run(id: number, sleep: (ms: number) => Promise<void>, lost: () => boolean): Promise<void> {
    let attempt = 0;
    let recovered = false;
    let pacer: Pacer | null = null;
    let lastBeat = 0;
    while (!lost()) {
      const r = await replayState(this.db, id);
      if (!r || (r.status !== "pending" && r.status !== "running")) return;
      if (r.status === "pending") await markRunning(this.db, id);
      try {
        if (!recovered) {
          await this.recover(r);
          recovered = true;
        }
        if (!pacer || pacer.rate !== r.ratePerSecond) pacer = new Pacer(r.ratePerSecond);
        const items = await claimItems(this.db, id, batchSize(r.ratePerSecond));
        if (items.length === 0) {
          if (await finishIfDone(this.db, id)) {
            this.log(`[replay ${id}] done`);
            return;
          }
          await sleep(500); // items still sending elsewhere (cannot be: the lock) or just cancelled: look again
          continue;
        }
        await this.send(r, items, pacer);
        if (attempt > 0) await noteError(this.db, id, null);
        attempt = 0;
        if (Date.now() - lastBeat > 2000) {
          lastBeat = Date.now();
          await heartbeat(this.db, id);
        }
      } catch (e) {
        const wait = backoffDelay(attempt++);
        this.log(`[replay ${id}] sending stopped (${errorMessage(e)}); recovering and retrying in ${Math.round(wait / 1000)} s`);
        await noteError(this.db, id, `sending stopped, retrying: ${errorMessage(e)}`).catch(() => undefined);
        await Promise.allSettled([...this.kafka.values(), ...this.rabbit.values()].map((s) => s.reset()));
        recovered = false;
        pacer = null;
        await sleep(wait);
      }
    }
  }

  /** Items left in `sending` by a crash or a failed send: found and confirmed, or sent again. */
  private async recover(r: RunnableReplay): Promise<void> {
    const left = await sendingItems(this.db, r.id);
    if (left.length === 0) return;
    const kafkaItems = left.filter((i) => i.system === "kafka");
    const rabbitItems = left.filter((i) => i.system === "rabbitmq");
    const byCluster = new Map<string, typeof kafkaItems>();
    for (const it of kafkaItems) byCluster.set(it.sourceName, [...(byCluster.get(it.sourceName) ?? []), it]);
    for (const [cluster, list] of byCluster) {
      const sender = this.kafka.get(cluster);
      if (!sender) {
        await markRefused(this.db, list.map((i) => ({ id: i.id, error: `Kafka cluster ${cluster} is not configured (KAFKA_CLUSTERS)` })));
        continue;
      }
      const { found, notFound } = await sender.recover(r.id, list);
      await markConfirmed(this.db, found);
      await requeueItems(this.db, notFound, false);
      this.log(`[replay ${r.id}] recovered ${list.length} Kafka items caught sending: ${found.length} were written, ${notFound.length} are sent again`);
    }
    if (rabbitItems.length) {
      await requeueItems(
        this.db,
        rabbitItems.map((i) => i.id),
        true,
      );
      this.log(`[replay ${r.id}] ${rabbitItems.length} RabbitMQ items caught sending are sent again with the same message id (uncertain)`);
    }
  }

  private async send(r: RunnableReplay, items: ClaimedItem[], pacer: Pacer): Promise<void> {
    const typed = r.target?.destination ?? null;
    const outcome: SendOutcome = { confirmed: [], refused: [] };
    const started = new Map<number, number>();
    // a typed destination found missing fails the replay, after what this batch already sent is noted
    let missing: string | null = null;
    const groups = new Map<string, ClaimedItem[]>();
    for (const it of items) groups.set(`${it.system}\u0000${it.sourceName}`, [...(groups.get(`${it.system}\u0000${it.sourceName}`) ?? []), it]);
    for (const list of groups.values()) {
      const first = list[0]!;
      for (const it of list) started.set(it.id, Date.now());
      if (first.system === "kafka") {
        const sender = this.kafka.get(first.sourceName);
        if (!sender) {
          outcome.refused.push(...list.map((i) => ({ id: i.id, error: `Kafka cluster ${first.sourceName} is not configured (KAFKA_CLUSTERS)` })));
          continue;
        }
        if (typed && !(await sender.partitions(typed))) {
          missing = `topic ${typed} does not exist on cluster ${first.sourceName}`;
          break;
        }
        const plan = await sender.plan(list, r.target?.keepPartition ?? false);
        await noteKafkaTargets(this.db, plan.targets);
        outcome.refused.push(...plan.refused);
        const targets = new Map(plan.targets.map((t) => [t.id, t]));
        const sendable = list.filter((i) => targets.has(i.id));
        // Kafka sends a batch at once: the pacer is paid for all of it first
        for (let i = 0; i < sendable.length; i++) await pacer.take();
        for (const it of sendable) started.set(it.id, Date.now());
        const res = await sender.send(r.id, sendable, targets);
        outcome.confirmed.push(...res.confirmed);
        outcome.refused.push(...res.refused);
      } else {
        const sender = this.rabbit.get(first.sourceName);
        if (!sender) {
          outcome.refused.push(...list.map((i) => ({ id: i.id, error: `RabbitMQ broker ${first.sourceName} is not configured (RABBITMQ_BROKERS)` })));
          continue;
        }
        if (typed && !typed.includes(" / ") && !(await sender.queueExists(first.vhost ?? "/", typed))) {
          missing = `queue ${typed} does not exist in vhost ${first.vhost ?? "/"} of broker ${first.sourceName}`;
          break;
        }
        if (typed && typed.includes(" / ")) {
          const t = sender.targetOf(first, typed)!;
          if (!(await sender.exchangeExists(first.vhost ?? "/", t.exchange))) {
            missing = `exchange ${t.exchange} does not exist in vhost ${first.vhost ?? "/"} of broker ${first.sourceName}`;
            break;
          }
        }
        const res = await sender.send(r.id, list, typed, async () => pacer.take());
        outcome.confirmed.push(...res.confirmed);
        outcome.refused.push(...res.refused);
      }
    }
    await markConfirmed(this.db, outcome.confirmed);
    await markRefused(this.db, outcome.refused);
    if (missing) await failReplay(this.db, r.id, missing);
    const system = items[0]!.system;
    replayItems.inc({ system, outcome: "confirmed" }, outcome.confirmed.length);
    if (outcome.refused.length) replayItems.inc({ system, outcome: "refused" }, outcome.refused.length);
    await this.writeSpans(r, items, new Set(outcome.confirmed.map((c) => c.id)), started).catch((e: unknown) => this.log(`[replay ${r.id}] replay spans not written: ${errorMessage(e)}`));
  }

  /** The replay's own span per confirmed item, in the dead letter's trace (a child of the span it died under). */
  private async writeSpans(r: RunnableReplay, items: ClaimedItem[], confirmed: Set<number>, started: Map<number, number>): Promise<void> {
    const now = Date.now();
    const records: SpanRecord[] = items
      .filter((it) => confirmed.has(it.id))
      .map((it) => {
        const parent = parentSpanOf(it.headers);
        const at = started.get(it.id) ?? now;
        return {
          traceId: it.traceId,
          spanId: it.spanId,
          parentSpanId: parent && parent.traceId === it.traceId ? parent.spanId : null,
          service: "switchyard",
          name: `replay ${it.destination ?? ""}`.trim(),
          kind: 4,
          startUnixNano: BigInt(at) * 1_000_000n,
          startTime: new Date(at),
          durationMs: Math.max(0, now - at),
          statusCode: 0,
          statusMessage: null,
          attributes: { "switchyard.replay.id": r.id, "switchyard.replay.item": it.id, "switchyard.dead_letter.id": it.deadLetterId },
          resourceAttributes: { "service.name": "switchyard" },
          events: [],
          links: [],
          ...noMessaging,
          messagingSystem: it.system,
          messagingDestination: it.destination,
          messagingOperation: "publish",
        };
      });
    if (records.length) await insertSpans(this.db, records);
  }
}
