import { AssignerProtocol, Kafka, logLevel, type Admin } from "kafkajs";
import type { KafkaClusterConfig } from "../../lib/config/env";
import { errorMessage } from "../../lib/errors";
import type { PartitionSample } from "../../lib/kafka/group-health";
import { applyLagSeconds, evaluateGroups, exactLagTargets, partitionRows, topicsOfGroups, tpKey, unconsumedOffset, type GroupMember } from "../../lib/kafka/lag-poll";
import { OffsetTimeTable } from "../../lib/kafka/lag-time";
import { selectNames } from "../../lib/patterns";
import type { Db } from "../../db/client";
import { lastStatuses, markClusterError, writeLagPoll, type LagSampleRow } from "../../db/queries/kafka";
import { describeKafkaError } from "../sources/probes";
import { KafkaWire } from "./wire";
import { kafkaPollSeconds } from "../metrics";
import { PollLoop } from "../poll-loop";

/**
 * Polls one Kafka cluster for consumer lag: groups, their members and committed offsets, the topics' end offsets
 * (one ListOffsets per broker), and the timestamps of the oldest unconsumed records (one Fetch per broker), then
 * evaluates each group's health over a sliding window and writes it all to Postgres.
 */
export interface LagCollectorOptions {
  intervalMs: number;
  windowSamples: number;
  include: string[];
  exclude: string[];
  exactMaxPartitions: number;
  /** after each poll has written what it saw (or the cluster's error): the alert rules are evaluated then */
  onPolled?: () => void;
}

export class LagCollector {
  private readonly kafka: Kafka;
  private admin: Admin | null = null;
  private wire: KafkaWire | null = null;
  private readonly windows = new Map<string, PartitionSample[]>();
  private readonly tables = new Map<string, OffsetTimeTable>();
  private statuses: Map<string, string> | null = null;
  private readonly loop: PollLoop;

  constructor(
    private readonly cluster: KafkaClusterConfig,
    private readonly opts: LagCollectorOptions,
    private readonly db: Db,
    private readonly log: (s: string) => void,
  ) {
    this.kafka = new Kafka({
      clientId: "switchyard-lag",
      brokers: cluster.brokers,
      connectionTimeout: 5000,
      requestTimeout: 15_000,
      retry: { retries: 1 },
      logLevel: logLevel.NOTHING,
    });
    this.loop = new PollLoop(
      opts.intervalMs,
      async () => {
        const started = Date.now();
        await this.connect();
        await this.pollOnce();
        kafkaPollSeconds.observe({ cluster: this.cluster.name }, (Date.now() - started) / 1000);
        this.opts.onPolled?.();
      },
      async (e, failures) => {
        const msg = describeKafkaError(e);
        if (failures === 1) this.log(`[kafka-lag:${this.cluster.name}] poll failed: ${msg}`);
        await markClusterError(this.db, this.cluster.name, `cluster unreachable since the last poll: ${msg}`).catch(() => undefined);
        this.opts.onPolled?.();
        await this.disconnect();
      },
      () => this.log(`[kafka-lag:${this.cluster.name}] polling again`),
    );
  }

  start(): this {
    this.loop.start();
    return this;
  }

  async stop(): Promise<void> {
    await this.loop.stop();
    await this.disconnect();
  }

  /** Closes the clients (tests drive pollOnce themselves and close with this). */
  close(): Promise<void> {
    return this.disconnect();
  }

  private async disconnect() {
    await this.admin?.disconnect().catch(() => undefined);
    await this.wire?.disconnect().catch(() => undefined);
    this.admin = null;
    this.wire = null;
  }

  /** Opens the admin and wire clients if they are not open. */
  async connect(): Promise<void> {
    if (this.admin && this.wire) return;
    this.admin = this.kafka.admin();
    await this.admin.connect();
    this.wire = new KafkaWire(this.kafka);
    await this.wire.connect();
  }

  /** One poll: read everything, evaluate, write. Returns what it wrote, for tests and logs. */
  async pollOnce(): Promise<{ groups: number; partitions: number }> {
    const admin = this.admin!;
    const wire = this.wire!;
    const now = Date.now();
    const at = new Date(now);
    this.statuses ??= await lastStatuses(this.db, this.cluster.name);

    const listed = await admin.listGroups();
    const ids = selectNames(
      listed.groups.filter((g) => g.protocolType === "consumer" || g.protocolType === "").map((g) => g.groupId),
      this.opts.include,
      this.opts.exclude,
    );
    const { described, committed } = ids.length ? await wire.groups(ids) : { described: [], committed: [] };

    const members = new Map<string, GroupMember[]>();
    for (const g of described) {
      members.set(
        g.groupId,
        g.members.map((m) => {
          let assignment: Record<string, number[]> = {};
          try {
            assignment = m.memberAssignment.length ? (AssignerProtocol.MemberAssignment.decode(m.memberAssignment)?.assignment ?? {}) : {};
          } catch {
            /* a non-standard assignor: members are still listed, without partitions */
          }
          return { memberId: m.memberId, clientId: m.clientId, host: m.clientHost.replace(/^\//, ""), assignment };
        }),
      );
    }

    const groupTopics = topicsOfGroups(committed, members);
    const allTopics = new Set([...groupTopics.values()].flatMap((s) => [...s]));
    const existing = new Set(await admin.listTopics());
    const parts = await wire.partitions([...allTopics].filter((t) => existing.has(t)));
    const offsets = await wire.offsets(parts);
    for (const [key, o] of offsets) {
      let t = this.tables.get(key);
      if (!t) this.tables.set(key, (t = new OffsetTimeTable()));
      t.add(o.high, now);
    }
    const rows = partitionRows(committed, members, groupTopics, existing, parts, offsets);

    // lag in seconds: exact (timestamp of the oldest unconsumed record) within budget, interpolated beyond it
    const exact = new Set(exactLagTargets(rows, this.opts.exactMaxPartitions));
    let stamps = new Map<string, number>();
    try {
      stamps = await wire.timestampsAt([...exact].map((r) => ({ topic: r.topic, partition: r.partition, offset: unconsumedOffset(r) })));
    } catch (e) {
      this.log(`[kafka-lag:${this.cluster.name}] exact lag in seconds unavailable this poll (${errorMessage(e)}); interpolating`);
    }
    applyLagSeconds(rows, exact, stamps, (topic, partition, offset) => this.tables.get(tpKey(topic, partition))?.timeOf(offset) ?? null, now);

    const { groups, changes } = evaluateGroups({
      groupIds: ids,
      rows,
      windows: this.windows,
      windowSamples: this.opts.windowSamples,
      intervalMs: this.opts.intervalMs,
      nowMs: now,
      lastStatus: this.statuses,
      states: new Map(described.map((d) => [d.groupId, d.state])),
      members,
    });
    const groupRows = groups.map((g) => ({ cluster: this.cluster.name, ...g, members: g.members.length, memberDetails: g.members, emptySince: g.members.length === 0 ? at : null, evaluatedAt: at }));

    const samples: LagSampleRow[] = rows.map((r) => ({
      cluster: this.cluster.name,
      groupId: r.groupId,
      topic: r.topic,
      partition: r.partition,
      committedOffset: r.committedOffset,
      endOffset: r.endOffset,
      lag: r.lag,
      lagSeconds: r.lagSeconds,
      logStartOffset: r.endOffset === null ? null : r.low,
      lagMethod: r.lagMethod,
      status: r.status,
      sampledAt: at,
    }));
    await writeLagPoll(this.db, this.cluster.name, samples, groupRows, changes, at);
    return { groups: groupRows.length, partitions: samples.length };
  }
}
