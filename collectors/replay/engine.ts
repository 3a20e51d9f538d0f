import pg from "pg";
import type { Config } from "../../lib/config/env";
import { backoffDelay } from "../../lib/backoff";
import { errorMessage } from "../../lib/errors";
import { batchSize, Pacer } from "../../lib/replay/pace";
import type { Db, DbHandle } from "../../db/client";
import { replayChannel } from "../../db/queries/replay-control";
import {
  claimItems,
  closeBatch,
  closeBatches,
  failReplay,
  finishIfDone,
  heartbeat,
  markConfirmed,
  markRefused,
  markRunning,
  closeSending,
  hasOpenBatches,
  stopPending,
  noteError,
  noteKafkaTargets,
  replayState,
  requeueItems,
  runnableReplays,
  sendingItems,
  settleItems,
  writeAnswers,
  type BatchAnswers,
  type ClaimedBatch,
  type ClaimedItem,
  type SendingItem,
  type RunnableReplay,
} from "../../db/queries/replay-run";
import { replayItems } from "../metrics";
import { KafkaReplaySender, type SendOutcome } from "./kafka-sender";
import { RabbitReplaySender } from "./rabbit-sender";
import { pushTo } from "../../lib/multimap";

/** The settling passes (settleItems): how often, over the items sent in how many minutes, at most how many. */
const settleTiers = [
  { everyMs: 0, minutes: 2, limit: 5_000 },
  { everyMs: 10_000, minutes: 10, limit: 20_000 },
  { everyMs: 60_000, minutes: 24 * 60, limit: 50_000 },
] as const;

/** How long after another process's last heartbeat a run waits before recovering the items it left sending. */
const takeoverWaitMs = 5000;

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
 * consumers' spans and from dead letters that come back with the replay's id (settleTiers: the last 2 minutes every
 * second, wider windows less often).
 */
export class ReplayEngine {
  private client: pg.Client | null = null;
  private readonly running = new Map<number, { wake: () => void }>();
  private stopped = false;
  private pollTimer: NodeJS.Timeout | null = null;
  private settleTimer: NodeJS.Timeout | null = null;
  private connectAttempt = 0;
  private scanning = false;

  constructor(
    private readonly config: Pick<Config, "DATABASE_URL" | "KAFKA_CLUSTERS" | "RABBITMQ_BROKERS">,
    dbh: DbHandle,
    private readonly log: (s: string) => void,
    private readonly opts: { pollMs: number; settleMs: number } = { pollMs: 3000, settleMs: 1000 },
  ) {
    this.db = dbh.db;
  }

  private readonly db: Db;

  start(): this {
    void this.connect();
    this.pollTimer = setInterval(() => void this.scan(), this.opts.pollMs);
    // consumer spans land within seconds of the send: every second the items of the last 2 minutes are looked at,
    // every 10 seconds the last 10 minutes, every minute the last day (each newest first, up to its limit). One pass
    // over every item of 10 minutes each second probed the spans for up to 20,000 items a second for 10 minutes after
    // any large replay, most of them long settled or never to be (a consumer that exports no spans).
    const tiers = settleTiers.map((t) => ({ ...t, last: 0 }));
    const settle = async () => {
      if (this.stopped) return;
      const now = Date.now();
      // the widest pass that is due (it covers the narrower ones)
      const due = [...tiers].reverse().find((t) => now - t.last >= t.everyMs) ?? tiers[0]!;
      try {
        await settleItems(this.db, { minutes: due.minutes, limit: due.limit });
        for (const t of tiers) if (t.minutes <= due.minutes) t.last = now;
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

  /**
   * One replay until it is done, paused, cancelled or failed, or this process loses its lock. The run has senders
   * of its own (connections and channels), so one replay's broken message or lost connection never resets another's.
   */
  private async run(id: number, sleep: (ms: number) => Promise<void>, lost: () => boolean): Promise<void> {
    const senders = new Senders(this.config);
    const books = new Bookkeeping();
    // the next batch, claimed while this one is sent (Postgres beside the broker, not after it); a batch claimed and
    // not sent goes back: its items to pending when the replay waits or the run stops, cancelled when it was stopped
    let next: Promise<ClaimedBatch | null> | null = null;
    // items are claimed in id order after the last one taken; anything given back (a nack, a recovery, a batch not
    // sent) starts it over from the first pending item not in an open batch
    const cursor: Cursor = { after: 0, rewind: null };
    const release = async (status: string) => {
      if (!next) return;
      const claimed = await next.catch(() => null);
      next = null;
      cursor.after = 0;
      if (!claimed) return;
      if (status === "cancelled" || status === "failed")
        await closeSending(
          this.db,
          [],
          claimed.items.map((i) => i.id),
          [],
        );
      await closeBatch(this.db, claimed.id);
    };
    const claim = (n: number) => {
      const from = cursor.rewind === null ? cursor.after : Math.min(cursor.rewind, cursor.after);
      cursor.rewind = null;
      const p = claimItems(this.db, id, n, from);
      p.then((b) => {
        if (b && b.items.length) cursor.after = Math.max(cursor.after, b.items[b.items.length - 1]!.id);
      }).catch(() => undefined); // awaited (and its error seen) by the next turn or by release
      return p;
    };
    try {
      let attempt = 0;
      let recovered = false;
      let pacer: Pacer | null = null;
      let lastBeat = 0;
      let first = true;
      while (!lost()) {
        const r = await replayState(this.db, id);
        if (!r) return;
        if (r.status !== "pending" && r.status !== "running") {
          await release(r.status);
          // a send that failed in the bookkeeping (a channel lost) leaves its batch open: the stop below, or the
          // recovery on resume, deals with it
          await books.drain().catch((e: unknown) => this.log(`[replay ${id}] progress not written: ${errorMessage(e)}`));
        }
        if (r.status === "cancelled" || r.status === "failed") {
          // stopped while items were caught sending (a crash, or a cancel during a retry): settle them
          await this.closeStopped(r, senders);
          return;
        }
        if (r.status !== "pending" && r.status !== "running") return;
        if (r.status === "pending") await markRunning(this.db, id);
        if (first) {
          first = false;
          // another process sent this replay moments ago (its lock went with a dropped connection, or it was
          // killed): let what it had in flight land before looking at what it left sending
          const age = r.heartbeatAgeMs;
          if (age !== null && age >= 0 && age < takeoverWaitMs) await new Promise((w) => setTimeout(w, takeoverWaitMs - age));
        }
        try {
          if (!recovered) {
            await this.recover(r, senders);
            recovered = true;
            cursor.after = 0;
          }
          if (!pacer || pacer.rate !== r.ratePerSecond) pacer = new Pacer(r.ratePerSecond);
          const batch = next ? await next : await claim(batchSize(r.ratePerSecond));
          next = null;
          if (!batch) {
            if (cursor.after > 0) {
              // items given back behind the cursor (nacked): look again from the start
              await books.drain();
              cursor.after = 0;
              continue;
            }
            await books.drain();
            if (await finishIfDone(this.db, id)) {
              this.log(`[replay ${id}] done`);
              return;
            }
            // this run's writes are all in, so a batch row left is nobody's (a claim of a process that lost the
            // replay, committed after this one recovered it): recover again
            if (await hasOpenBatches(this.db, id)) recovered = false;
            else await sleep(500); // just cancelled or paused: look again
            continue;
          }
          next = claim(batchSize(r.ratePerSecond));
          await this.send(r, batch, pacer, senders, books, cursor);
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
          // what was claimed and not sent goes back, and what was confirmed before the error is written, before
          // recovery reads what is left sending
          await release("pending").catch(() => undefined);
          await books.drain().catch((b: unknown) => this.log(`[replay ${id}] progress not written: ${errorMessage(b)}`));
          await senders.reset();
          recovered = false;
          pacer = null;
          await sleep(wait);
        }
      }
    } finally {
      if (!lost()) await release("pending").catch(() => undefined);
      await books.drain().catch((e: unknown) => this.log(`[replay ${id}] progress not written: ${errorMessage(e)}`));
      await senders.close();
      // a run that ends in order (paused, done, stopped) leaves nothing in flight: the next one need not wait
      if (!lost()) await heartbeat(this.db, id, null).catch(() => undefined);
    }
  }

  /** Kafka items caught sending: found in their partition (confirmed) or not written. */
  private async findKafka(r: RunnableReplay, left: SendingItem[], senders: Senders): Promise<{ found: { id: number; offset: number }[]; notFound: number[]; unknown: number[] }> {
    const found: { id: number; offset: number }[] = [];
    const notFound: number[] = [];
    const unknown: number[] = [];
    const byCluster = new Map<string, SendingItem[]>();
    for (const it of left) pushTo(byCluster, it.sourceName, it);
    for (const [cluster, list] of byCluster) {
      const sender = senders.kafka(cluster);
      if (!sender) {
        unknown.push(...list.map((i) => i.id));
        continue;
      }
      const res = await sender.recover(r.id, list);
      found.push(...res.found);
      notFound.push(...res.notFound);
    }
    return { found, notFound, unknown };
  }

  /** Items left sending by a crash or a failed send: found and confirmed, or sent again; then the batches are closed. */
  private async recover(r: RunnableReplay, senders: Senders): Promise<void> {
    const left = await sendingItems(this.db, r.id);
    const kafkaItems = left.filter((i) => i.system === "kafka");
    const rabbitItems = left.filter((i) => i.system === "rabbitmq");
    if (kafkaItems.length) {
      const { found, notFound, unknown } = await this.findKafka(r, kafkaItems, senders);
      await markConfirmed(this.db, found);
      await requeueItems(this.db, notFound, false);
      await markRefused(this.db, unknown.map((id) => ({ id, error: "its Kafka cluster is not configured (KAFKA_CLUSTERS)" })));
      this.log(`[replay ${r.id}] recovered ${kafkaItems.length} Kafka items caught sending: ${found.length} were written, ${notFound.length} are sent again`);
    }
    if (rabbitItems.length) {
      await requeueItems(
        this.db,
        rabbitItems.map((i) => i.id),
        true,
      );
      this.log(`[replay ${r.id}] ${rabbitItems.length} RabbitMQ items caught sending are sent again with the same message id (uncertain)`);
    }
    // what is left of the batches is pending again (or was written before the crash)
    await closeBatches(this.db, r.id);
  }

  /** A cancelled or failed replay's items caught sending: written ones confirmed, unsent ones cancelled, RabbitMQ's uncertain. */
  private async closeStopped(r: RunnableReplay, senders: Senders): Promise<void> {
    const left = await sendingItems(this.db, r.id);
    if (left.length === 0) {
      await closeBatches(this.db, r.id);
      await this.stopLeft(r);
      return;
    }
    const kafkaItems = left.filter((i) => i.system === "kafka");
    const { found, notFound, unknown } = kafkaItems.length ? await this.findKafka(r, kafkaItems, senders) : { found: [], notFound: [], unknown: [] };
    const rabbit = left.filter((i) => i.system === "rabbitmq").map((i) => i.id);
    await closeSending(this.db, found, notFound, [...rabbit, ...unknown]);
    await closeBatches(this.db, r.id);
    this.log(`[replay ${r.id}] ${r.status}: of ${left.length} items caught sending, ${found.length} were written, ${notFound.length} were not, ${rabbit.length + unknown.length} are uncertain`);
    await this.stopLeft(r);
  }

  /**
   * A stopped replay's items pending again after the stop (nacked in the batch being sent, sent back by a recovery
   * under way, a claimed batch given back after an error): cancelled, or uncertain when sent once already.
   */
  private async stopLeft(r: RunnableReplay): Promise<void> {
    const c = await stopPending(this.db, r.id);
    if (c.cancelled + c.uncertain) this.log(`[replay ${r.id}] ${r.status}: ${c.cancelled} items left pending cancelled, ${c.uncertain} sent before and uncertain`);
  }

  /**
   * Sends a batch. The broker's answers are written to Postgres behind the next batch's sending (`books`, one batch
   * deep, in order), in one transaction per batch: an item is sending (its batch row open) until its answer is
   * written, so a crash in between only means recovery looks at up to two batches.
   */
  private async send(r: RunnableReplay, batch: ClaimedBatch, pacer: Pacer, senders: Senders, books: Bookkeeping, cursor: Cursor): Promise<void> {
    const typed = r.target?.destination ?? null;
    const items = batch.items;
    const groups = new Map<string, ClaimedItem[]>();
    for (const it of items) pushTo(groups, `${it.system}\u0000${it.sourceName}`, it);
    const answers: BatchAnswers = { confirmed: [], refused: [], nacked: [] };
    // per group: its outcome, and for RabbitMQ the broker's confirms still to come (waited for in the bookkeeping,
    // after the next batch is published)
    const sent: { system: ClaimedItem["system"]; list: ClaimedItem[]; outcome: SendOutcome; answers: (() => Promise<SendOutcome>) | null }[] = [];
    // a typed destination found missing fails the replay, after what this batch already sent is noted
    let missing: string | null = null;
    let whole = false;
    try {
      for (const list of groups.values()) {
        const first = list[0]!;
        const outcome: SendOutcome = { confirmed: [], refused: [], nacked: [] };
        const group: (typeof sent)[number] = { system: first.system, list, outcome, answers: null };
        sent.push(group);
        if (first.system === "kafka") {
          const sender = senders.kafka(first.sourceName);
          if (!sender) outcome.refused.push(...list.map((i) => ({ id: i.id, error: `Kafka cluster ${first.sourceName} is not configured (KAFKA_CLUSTERS)` })));
          else if (typed && !(await sender.partitions(typed))) missing = `topic ${typed} does not exist on cluster ${first.sourceName}`;
          else {
            const plan = await sender.plan(list, r.target?.keepPartition ?? false);
            await noteKafkaTargets(this.db, batch.id, plan.targets);
            outcome.refused.push(...plan.refused);
            const targets = new Map(plan.targets.map((t) => [t.id, t]));
            const sendable = list.filter((i) => targets.has(i.id));
            // Kafka sends a batch at once: the pacer is paid for all of it first
            for (let i = 0; i < sendable.length; i++) {
              const wait = pacer.take();
              if (wait) await wait;
            }
            const res = await sender.send(r.id, sendable, targets);
            outcome.confirmed.push(...res.confirmed.map((c) => ({ ...c, partition: targets.get(c.id)?.partition ?? null })));
            outcome.refused.push(...res.refused);
          }
        } else {
          const sender = senders.rabbit(first.sourceName);
          if (!sender) outcome.refused.push(...list.map((i) => ({ id: i.id, error: `RabbitMQ broker ${first.sourceName} is not configured (RABBITMQ_BROKERS)` })));
          else if (typed && !typed.includes(" / ") && !(await sender.queueExists(first.vhost ?? "/", typed)))
            missing = `queue ${typed} does not exist in vhost ${first.vhost ?? "/"} of broker ${first.sourceName}`;
          else if (typed && typed.includes(" / ") && !(await sender.exchangeExists(first.vhost ?? "/", sender.targetOf(first, typed)!.exchange)))
            missing = `exchange ${sender.targetOf(first, typed)!.exchange} does not exist in vhost ${first.vhost ?? "/"} of broker ${first.sourceName}`;
          else {
            group.answers = (await sender.publish(r.id, list, typed, () => pacer.take())).answers;
          }
        }
        if (missing) break;
      }
      whole = !missing;
    } finally {
      // what the broker answered is written even when a later group's send failed (recovery drains the queue first,
      // so it resends nothing this batch sent); the batch is closed only when all of it was sent and confirmed
      const sentWhole = whole;
      await books.add(async () => {
        let lost: unknown = null;
        for (const g of sent) {
          if (!g.answers) continue;
          try {
            const res = await g.answers();
            g.outcome.confirmed.push(...res.confirmed);
            g.outcome.refused.push(...res.refused);
            g.outcome.nacked.push(...res.nacked);
          } catch (e) {
            lost ??= e;
          }
        }
        for (const { system, outcome } of sent) {
          answers.confirmed.push(...outcome.confirmed.map((c) => ({ ...c, system })));
          answers.refused.push(...outcome.refused);
          answers.nacked.push(...outcome.nacked);
        }
        // the replay's spans are written with the answers (its own span per confirmed item)
        await writeAnswers(this.db, batch, answers, sentWhole && lost === null, (e) => this.log(`[replay ${r.id}] replay spans not written: ${errorMessage(e)}`));
        // nacked items are pending again now that their batch is closed: the next claim starts from the first
        if (answers.nacked.length) cursor.rewind = Math.min(cursor.rewind ?? Infinity, Math.min(...answers.nacked) - 1);
        for (const { system, outcome } of sent) {
          replayItems.inc({ system, outcome: "confirmed" }, outcome.confirmed.length);
          if (outcome.refused.length) replayItems.inc({ system, outcome: "refused" }, outcome.refused.length);
        }
        if (lost !== null) throw lost;
      });
    }
    if (missing) {
      await books.drain();
      await failReplay(this.db, r.id, missing);
    }
  }
}

/** Where a run claims from: after the last item taken, or from `rewind` once (items given back behind it). */
interface Cursor {
  after: number;
  rewind: number | null;
}

/** A run's own senders, made on first use per cluster or broker. */
class Senders {
  private readonly k = new Map<string, KafkaReplaySender>();
  private readonly r = new Map<string, RabbitReplaySender>();
  constructor(private readonly config: Pick<Config, "KAFKA_CLUSTERS" | "RABBITMQ_BROKERS">) {}

  kafka(name: string): KafkaReplaySender | null {
    const have = this.k.get(name);
    if (have) return have;
    const c = this.config.KAFKA_CLUSTERS.find((x) => x.name === name);
    if (!c) return null;
    const s = new KafkaReplaySender(c);
    this.k.set(name, s);
    return s;
  }

  rabbit(name: string): RabbitReplaySender | null {
    const have = this.r.get(name);
    if (have) return have;
    const b = this.config.RABBITMQ_BROKERS.find((x) => x.name === name);
    if (!b) return null;
    const s = new RabbitReplaySender(b);
    this.r.set(name, s);
    return s;
  }

  async reset(): Promise<void> {
    await Promise.allSettled([...this.k.values(), ...this.r.values()].map((s) => s.reset()));
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.k.values(), ...this.r.values()].map((s) => s.close()));
  }
}

/**
 * A run's Postgres writes of the broker's answers, in order, at most one batch behind the sending: `add` queues the
 * new write after the last one and waits for that last one (so no more than one is in flight), throwing its error;
 * `drain` waits for all and throws the first error.
 */
class Bookkeeping {
  private tail: Promise<void> = Promise.resolve();
  private error: unknown = null;

  async add(write: () => Promise<void>): Promise<void> {
    const before = this.tail;
    // queued first, so an earlier write's error (thrown below) never loses this one's answers
    this.tail = before.then(write).catch((e: unknown) => {
      this.error ??= e;
    });
    await before;
    if (this.error) {
      const e = this.error;
      this.error = null;
      throw e;
    }
  }

  async drain(): Promise<void> {
    await this.tail;
    if (this.error) {
      const e = this.error;
      this.error = null;
      throw e;
    }
  }
}
