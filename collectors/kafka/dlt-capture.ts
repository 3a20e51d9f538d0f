import { Kafka, logLevel, type Consumer } from "kafkajs";
import type { KafkaClusterConfig } from "../../lib/config/env";
import { backoffDelay } from "../../lib/backoff";
import { errorMessage } from "../../lib/errors";
import { kafkaDeadLetterRow, kafkaDedupKey, unreadableKafkaDeadLetter } from "../../lib/kafka/dead-letter-record";
import type { RawHeaders } from "../../lib/kafka/dlt-headers";
import { foreignMembers } from "../../lib/kafka/group-members";
import { matchesAny } from "../../lib/patterns";
import type { Db } from "../../db/client";
import { storeByPosition, type StoreResult } from "../../db/queries/dead-letter-store";
import { deadLettersCaptured } from "../metrics";
import { describeKafkaError } from "../sources/probes";

/**
 * Captures every record of the cluster's dead-letter topics (found by name patterns, re-checked periodically) into
 * the dead-letters table with Switchyard's own consumer group. Offsets are committed only after the batch is
 * committed in Postgres, and the insert is idempotent on topic/partition/offset: a crash in between neither loses
 * nor duplicates a dead letter. A record Postgres cannot take as it is never stops its partition (see
 * storeDeadLetters); an outage pauses capture without committing anything. A record is keyed by its position, or,
 * where a topic deleted and made again (or a cluster set up afresh) put another record there first, by what it is
 * (storeByPosition).
 */
export interface DltCaptureOptions {
  patterns: string[];
  groupId: string;
  maxBytes: number;
  rediscoverMs: number;
  /** how often the group's members are looked at (default 10 s) */
  memberCheckMs?: number;
  /** how long another member must stay in the group before it is reported (default 25 s) */
  foreignAfterMs?: number;
}

export class DltCapture {
  private readonly kafka: Kafka;
  private consumer: Consumer | null = null;
  private topics: string[] = [];
  private stopped = false;
  private timer: NodeJS.Timeout | null = null;
  private failures = 0;
  /** why storing is failing right now (Postgres down), or null */
  private storeError: string | null = null;
  /** the consumer's last crash: reported for a minute, so a crash loop shows on the health page */
  private crash: { at: number; message: string } | null = null;
  /** this process's member id in the group (from its last join) */
  private memberId: string | null = null;
  private readonly firstSeen = new Map<string, number>();
  private memberTimer: NodeJS.Timeout | null = null;
  /** other consumers in the group for a while now, or null */
  private shared: string | null = null;

  /** why capture is not working right now, or null */
  get error(): string | null {
    if (this.storeError) return this.storeError;
    if (this.crash && Date.now() - this.crash.at < 60_000) return this.crash.message;
    return this.shared;
  }

  constructor(
    private readonly cluster: KafkaClusterConfig,
    private readonly opts: DltCaptureOptions,
    private readonly db: Db,
    private readonly log: (s: string) => void,
  ) {
    this.kafka = new Kafka({ clientId: "switchyard-dlt", brokers: cluster.brokers, connectionTimeout: 5000, logLevel: logLevel.NOTHING, retry: { retries: 3 } });
  }

  get clusterName(): string {
    return this.cluster.name;
  }

  start(): this {
    void this.tick();
    void this.checkMembers();
    return this;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.memberTimer) clearTimeout(this.memberTimer);
    await this.consumer?.disconnect().catch(() => undefined);
  }

  private schedule(ms: number) {
    if (!this.stopped) this.timer = setTimeout(() => void this.tick(), ms);
  }

  private async discover(): Promise<string[]> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      return (await admin.listTopics()).filter((t) => matchesAny(t, this.opts.patterns)).sort();
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  /** Looks at the group's members: another consumer that stays in it is reported (see foreignMembers). */
  private async checkMembers(): Promise<void> {
    if (this.stopped) return;
    if (!this.consumer) {
      // nothing to capture now (or the consumer is being made again after a crash): nothing shared to report
      this.shared = null;
      this.firstSeen.clear();
    } else if (this.memberId) {
      const admin = this.kafka.admin();
      try {
        await admin.connect();
        const g = (await admin.describeGroups([this.opts.groupId])).groups[0];
        const others = foreignMembers(g?.members ?? [], this.memberId, this.firstSeen, Date.now(), this.opts.foreignAfterMs ?? 25_000);
        const was = this.shared;
        this.shared = others.length
          ? `dead-letter capture shares consumer group ${this.opts.groupId} with ${others.map((m) => `${m.clientId} at ${m.clientHost.replace(/^\//, "")}`).join(", ")}: ` +
            "the partitions it holds are stored by it, not here; give each Switchyard its own KAFKA_DLT_GROUP"
          : null;
        if (this.shared && this.shared !== was) this.log(`[kafka-dlt:${this.cluster.name}] ${this.shared}`);
      } catch {
        // the cluster's own health check says when it does not answer
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
    }
    if (!this.stopped) this.memberTimer = setTimeout(() => void this.checkMembers(), this.opts.memberCheckMs ?? 10_000);
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    try {
      const topics = await this.discover();
      if (topics.join("\n") !== this.topics.join("\n") || !this.consumer) {
        await this.consumer?.disconnect().catch(() => undefined);
        this.consumer = null;
        this.topics = topics;
        if (topics.length) {
          await this.run(topics);
          this.log(`[kafka-dlt:${this.cluster.name}] capturing ${topics.join(", ")}`);
        }
      }
      this.failures = 0;
      this.schedule(this.opts.rediscoverMs);
    } catch (e) {
      this.failures++;
      this.log(`[kafka-dlt:${this.cluster.name}] ${describeKafkaError(e)}; retrying`);
      await this.consumer?.disconnect().catch(() => undefined);
      this.consumer = null;
      this.schedule(backoffDelay(this.failures));
    }
  }

  private async run(topics: string[]): Promise<void> {
    // the member id is the new consumer's once it has joined: until then the old one's would name it another member
    this.memberId = null;
    const consumer = this.kafka.consumer({ groupId: this.opts.groupId, allowAutoTopicCreation: false, sessionTimeout: 10_000, heartbeatInterval: 1_000 });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      this.memberId = (e.payload as { memberId: string }).memberId;
    });
    consumer.on(consumer.events.CRASH, (e) => {
      const { error, restart } = e.payload as { error: Error; restart: boolean };
      this.log(`[kafka-dlt:${this.cluster.name}] consumer crashed: ${describeKafkaError(error)}${restart ? " (kafkajs restarts it)" : ""}`);
      this.crash = { at: Date.now(), message: `dead-letter capture restarting after an error: ${describeKafkaError(error)}` };
      if (!restart && !this.stopped) {
        this.consumer = null;
        this.schedule(backoffDelay(++this.failures));
      }
    });
    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning: true });
    await consumer.run({
      // kafkajs commits only offsets resolved here, after the rows are in Postgres, and right away (threshold 1);
      // it also resolves and commits batches left empty by filtering (transaction markers, aborted records), which
      // otherwise stayed uncommitted and showed this group lagging on every transactional DLT for ever
      autoCommit: true,
      autoCommitThreshold: 1,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, commitOffsetsIfNecessary, heartbeat, isRunning, isStale }) => {
        if (!isRunning() || isStale() || batch.messages.length === 0) return;
        const identityKeys: string[] = [];
        const rows = batch.messages.map((m) => {
          const record = {
            cluster: this.cluster.name,
            topic: batch.topic,
            partition: batch.partition,
            offset: m.offset,
            timestamp: m.timestamp,
            key: m.key ?? null,
            value: m.value ?? null,
            headers: (m.headers ?? {}) as RawHeaders,
          };
          identityKeys.push(kafkaDedupKey(record));
          try {
            return kafkaDeadLetterRow(record, this.opts.maxBytes);
          } catch (e) {
            // one record must never stop its partition: keep it as bytes with the error
            return unreadableKafkaDeadLetter(record, this.opts.maxBytes, e);
          }
        });
        // Postgres first. A row Postgres refuses is stored in quarantine form, so only an outage gets here as an
        // error: wait it out inside the batch (heartbeating, so the group keeps the partition) rather than throw,
        // which would restart the consumer every DLT shares. Nothing is committed to Kafka until the rows are in.
        let stored: StoreResult | null = null;
        for (let attempt = 1; !stored; attempt++) {
          try {
            stored = await storeByPosition(this.db, rows, identityKeys);
          } catch (e) {
            this.storeError = `dead-letter capture paused, cannot write to Postgres: ${errorMessage(e)}`;
            if (attempt === 1) this.log(`[kafka-dlt:${this.cluster.name}] ${this.storeError}`);
            if (!isRunning() || isStale()) return;
            await new Promise((r) => setTimeout(r, Math.min(backoffDelay(attempt), 5_000)));
            await heartbeat();
          }
        }
        if (this.storeError) this.log(`[kafka-dlt:${this.cluster.name}] capturing again`);
        this.storeError = null;
        deadLettersCaptured.inc({ system: "kafka", source: batch.topic }, stored.inserted);
        if (stored.quarantined) this.log(`[kafka-dlt:${this.cluster.name}] ${stored.quarantined} record(s) of ${batch.topic}[${batch.partition}] kept in quarantine form: Postgres refused them as captured`);
        // the batch's last offset, control records included (a commit marker after the last record must be passed
        // too); without resolving it kafkajs fetches the same batch again for ever (eachBatchAutoResolve is off)
        resolveOffset(batch.lastOffset());
        await commitOffsetsIfNecessary();
        await heartbeat();
      },
    });
  }
}
