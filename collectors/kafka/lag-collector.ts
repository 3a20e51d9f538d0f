import { AssignerProtocol, Kafka, logLevel, type Admin } from "kafkajs";
import type { KafkaClusterConfig } from "../../lib/config/env";
import { errorMessage } from "../../lib/errors";
import { evaluatePartition, groupRates, lagOf, worstStatus, type GroupStatus, type PartitionSample } from "../../lib/kafka/group-health";
import { OffsetTimeTable } from "../../lib/kafka/lag-time";
import { selectNames } from "../../lib/patterns";
import type { Db } from "../../db/client";
import { lastStatuses, markClusterError, writeLagPoll, type GroupMember, type LagSampleRow } from "../../db/queries/kafka";
import { describeKafkaError } from "../sources/probes";
import { KafkaWire, positionKey, tpKey } from "./wire";
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
}

export interface PartitionLag {
  topic: string;
  partition: number;
  committedOffset: number | null;
  endOffset: number | null;
  lag: number | null;
  lagSeconds: number | null;
  lagMethod: "exact" | "interpolated" | "none";
  status: GroupStatus;
  note?: string;
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
      },
      async (e, failures) => {
        const msg = describeKafkaError(e);
        if (failures === 1) this.log(`[kafka-lag:${this.cluster.name}] poll failed: ${msg}`);
        await markClusterError(this.db, this.cluster.name, `cluster unreachable since the last poll: ${msg}`).catch(() => undefined);
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

    const describedById = new Map(described.map((d) => [d.groupId, d]));
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

    // topics each group consumes: committed offsets plus current assignments
    const groupTopics = new Map<string, Set<string>>();
    for (const c of committed) {
      const set = new Set(c.topics.filter((t) => t.partitions.some((p) => Number(p.offset) >= 0)).map((t) => t.topic));
      for (const m of members.get(c.groupId) ?? []) for (const t of Object.keys(m.assignment)) set.add(t);
      groupTopics.set(c.groupId, set);
    }
    const allTopics = new Set([...groupTopics.values()].flatMap((s) => [...s]));
    const existing = new Set(await admin.listTopics());
    const parts = await wire.partitions([...allTopics].filter((t) => existing.has(t)));
    const offsets = await wire.offsets(parts);
    for (const [key, o] of offsets) {
      let t = this.tables.get(key);
      if (!t) this.tables.set(key, (t = new OffsetTimeTable()));
      t.add(o.high, now);
    }

    // partitions of every group, before lag in seconds
    interface Row extends PartitionLag {
      groupId: string;
      low: number;
      owned: boolean;
    }
    const rows: Row[] = [];
    for (const c of committed) {
      const owned = new Set((members.get(c.groupId) ?? []).flatMap((m) => Object.entries(m.assignment).flatMap(([t, ps]) => ps.map((p) => tpKey(t, p)))));
      const committedAt = new Map(c.topics.flatMap((t) => t.partitions.map((p) => [tpKey(t.topic, p.partition), Number(p.offset)] as const)));
      for (const topic of groupTopics.get(c.groupId) ?? []) {
        if (!existing.has(topic)) {
          for (const t of c.topics.filter((x) => x.topic === topic)) {
            for (const p of t.partitions.filter((x) => Number(x.offset) >= 0)) {
              rows.push({ groupId: c.groupId, topic, partition: p.partition, committedOffset: Number(p.offset), endOffset: null, lag: null, lagSeconds: null, lagMethod: "none", status: "OK", note: "topic deleted", low: 0, owned: false });
            }
          }
          continue;
        }
        for (const partition of parts.get(topic) ?? []) {
          const key = tpKey(topic, partition);
          const o = offsets.get(key);
          if (!o) continue;
          const raw = committedAt.get(key);
          const committedOffset = raw !== undefined && raw >= 0 ? raw : null;
          const lag = committedOffset === null ? null : Math.max(0, o.high - committedOffset);
          rows.push({
            groupId: c.groupId,
            topic,
            partition,
            committedOffset,
            endOffset: o.high,
            lag,
            lagSeconds: lag === 0 ? 0 : null,
            lagMethod: lag === 0 ? "exact" : "none",
            status: "OK",
            ...(committedOffset === null ? { note: "no committed offset" } : {}),
            low: o.low,
            owned: owned.has(key),
          });
        }
      }
    }

    // lag in seconds: exact (timestamp of the oldest unconsumed record) within budget, interpolated beyond it
    const lagging = rows.filter((r) => r.lag !== null && r.lag > 0);
    const exact = new Set([...lagging].sort((a, b) => b.lag! - a.lag!).slice(0, this.opts.exactMaxPartitions));
    // records below the log start are gone; the oldest one left is at `low`
    const readAt = (r: Row) => Math.max(r.committedOffset!, r.low);
    let stamps = new Map<string, number>();
    try {
      stamps = await wire.timestampsAt([...exact].map((r) => ({ topic: r.topic, partition: r.partition, offset: readAt(r) })));
    } catch (e) {
      this.log(`[kafka-lag:${this.cluster.name}] exact lag in seconds unavailable this poll (${errorMessage(e)}); interpolating`);
    }
    for (const r of lagging) {
      const ts = exact.has(r) ? stamps.get(positionKey(r.topic, r.partition, readAt(r))) : undefined;
      if (ts !== undefined) {
        r.lagSeconds = Math.max(0, (now - ts) / 1000);
        r.lagMethod = "exact";
        continue;
      }
      const t = this.tables.get(tpKey(r.topic, r.partition))?.timeOf(r.committedOffset!);
      if (t !== null && t !== undefined) {
        r.lagSeconds = Math.max(0, (now - t) / 1000);
        r.lagMethod = "interpolated";
      }
    }

    // health over the window
    const windowMs = this.opts.intervalMs * (this.opts.windowSamples - 1);
    const byGroup = new Map<string, Row[]>();
    for (const r of rows) {
      const list = byGroup.get(r.groupId);
      if (list) list.push(r);
      else byGroup.set(r.groupId, [r]);
    }
    const live = new Set<string>();
    const groupRows: Parameters<typeof writeLagPoll>[3] = [];
    const changes: { groupId: string; status: string; reason: string }[] = [];
    for (const groupId of ids) {
      const prs = byGroup.get(groupId) ?? [];
      const windows: PartitionSample[][] = [];
      const reasons: string[] = [];
      for (const r of prs) {
        const wkey = `${groupId}\u0000${tpKey(r.topic, r.partition)}`;
        live.add(wkey);
        if (r.endOffset === null) continue;
        const w = this.windows.get(wkey) ?? [];
        w.push({ timeMs: now, committed: r.committedOffset, end: r.endOffset });
        if (w.length > this.opts.windowSamples) w.splice(0, w.length - this.opts.windowSamples);
        this.windows.set(wkey, w);
        windows.push(w);
        const ev = evaluatePartition(w, r.owned, windowMs);
        r.status = ev.status;
        if (ev.status !== "OK") reasons.push(`${r.topic}[${r.partition}]: ${ev.reason}`);
      }
      const lags = prs.map((r) => r.lag).filter((l): l is number => l !== null);
      const totalLag = lags.length ? lags.reduce((a, b) => a + b, 0) : null;
      const secs = prs.map((r) => r.lagSeconds).filter((s): s is number => s !== null);
      const status = worstStatus(prs.map((r) => r.status));
      const rates = groupRates(windows, totalLag ?? 0);
      const desc = describedById.get(groupId);
      const gm = members.get(groupId) ?? [];
      groupRows.push({
        cluster: this.cluster.name,
        groupId,
        state: desc?.state ?? "Unknown",
        status,
        totalLag,
        maxLagSeconds: secs.length ? Math.max(...secs) : null,
        etaSeconds: totalLag === null ? null : rates.etaSeconds,
        consumeRate: rates.consumeRate,
        produceRate: rates.produceRate,
        members: gm.length,
        memberDetails: gm,
        evaluatedAt: at,
      });
      if (this.statuses.get(groupId) !== status) {
        changes.push({ groupId, status, reason: reasons.slice(0, 3).join("; ") || "all partitions OK" });
        this.statuses.set(groupId, status);
      }
    }
    for (const k of this.windows.keys()) if (!live.has(k)) this.windows.delete(k);

    const samples: LagSampleRow[] = rows.map((r) => ({
      cluster: this.cluster.name,
      groupId: r.groupId,
      topic: r.topic,
      partition: r.partition,
      committedOffset: r.committedOffset,
      endOffset: r.endOffset,
      lag: r.lag,
      lagSeconds: r.lagSeconds,
      lagMethod: r.lagMethod,
      status: r.status,
      sampledAt: at,
    }));
    await writeLagPoll(this.db, this.cluster.name, samples, groupRows, changes, at);
    return { groups: groupRows.length, partitions: samples.length };
  }
}
