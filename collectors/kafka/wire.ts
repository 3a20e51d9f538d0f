import type { GroupDescription, Kafka } from "kafkajs";
import { positionKey, tpKey } from "../../lib/kafka/lag-poll";
import { pushTo } from "../../lib/multimap";

/**
 * Batched Kafka requests that kafkajs's public admin API does not offer: ListOffsets for many topics in one request
 * per broker, and a Fetch of the records at given offsets (one request per broker) to read their timestamps.
 * Built on kafkajs's own Cluster and Broker classes (kafkajs is pinned at 2.2.4, its last release), reached through
 * the Kafka instance's cluster factory. The surface used is typed narrowly here and covered by integration tests.
 */
interface WireBroker {
  fetch(req: {
    replicaId: number;
    isolationLevel: number;
    maxWaitTime: number;
    minBytes: number;
    maxBytes: number;
    topics: { topic: string; partitions: { partition: number; fetchOffset: string; maxBytes: number }[] }[];
  }): Promise<{
    responses: {
      topicName: string;
      partitions: { partition: number; errorCode: number; highWatermark?: string; messages: { offset: string; timestamp: string; headers?: Record<string, Buffer | Buffer[] | undefined> }[] }[];
    }[];
  }>;
}

interface WireCoordinator {
  nodeId: number;
  describeGroups(req: { groupIds: string[] }): Promise<{ groups: GroupDescription[] }>;
  offsetFetch(req: { groupId: string; topics: [] }): Promise<{ responses: { topic: string; partitions: { partition: number; offset: string }[] }[] }>;
}

interface WireCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  addMultipleTargetTopics(topics: string[]): Promise<void>;
  /** the topics every metadata refresh asks for (kafkajs only ever adds to it) */
  targetTopics: Set<string>;
  refreshMetadata(): Promise<void>;
  findTopicPartitionMetadata(topic: string): { partitionId: number; leader: number }[];
  findLeaderForPartitions(topic: string, partitions: number[]): Record<string, number[]>;
  findBroker(q: { nodeId: string }): Promise<WireBroker & WireCoordinator>;
  findGroupCoordinator(q: { groupId: string }): Promise<WireCoordinator>;
  fetchTopicsOffset(topics: { topic: string; partitions: { partition: number }[]; fromBeginning: boolean }[]): Promise<
    { topic: string; partitions: { partition: number; offset: string }[] }[]
  >;
}

export interface TopicPartition {
  topic: string;
  partition: number;
}


export class KafkaWire {
  private readonly cluster: WireCluster;

  constructor(kafka: Kafka) {
    const factory = Object.getOwnPropertySymbols(kafka).find((s) => s.description === "private:Kafka:createCluster");
    if (!factory) throw new Error("kafkajs internals changed: no cluster factory on the Kafka instance (is kafkajs still 2.2.4?)");
    const create = (kafka as unknown as Record<symbol, (o: object) => WireCluster>)[factory]!;
    this.cluster = create({ allowAutoTopicCreation: false, metadataMaxAge: 30_000, isolationLevel: 0 });
  }

  connect(): Promise<void> {
    return this.cluster.connect();
  }

  disconnect(): Promise<void> {
    return this.cluster.disconnect();
  }

  /**
   * Descriptions and committed offsets of the groups: one DescribeGroups per coordinator and one OffsetFetch per
   * group (kafkajs speaks OffsetFetch up to v4, one group per request). kafkajs's admin looks up every group's
   * coordinator again on every call (a FindCoordinator request per group, twice per poll); here each group's
   * coordinator is remembered, and forgotten and looked up again when a request to it fails.
   */
  async groups(groupIds: string[]): Promise<{ described: GroupDescription[]; committed: { groupId: string; topics: { topic: string; partitions: { partition: number; offset: string }[] }[] }[] }> {
    try {
      return await this.groupsOnce(groupIds);
    } catch {
      for (const g of groupIds) this.coordinators.delete(g); // moved, or the broker restarted: look them up again
      return this.groupsOnce(groupIds);
    }
  }

  private readonly coordinators = new Map<string, number>();

  private async groupsOnce(groupIds: string[]) {
    await Promise.all(
      groupIds
        .filter((g) => !this.coordinators.has(g))
        .map(async (groupId) => this.coordinators.set(groupId, (await this.cluster.findGroupCoordinator({ groupId })).nodeId)),
    );
    const byCoordinator = new Map<number, string[]>();
    for (const g of groupIds) {
      const id = this.coordinators.get(g)!;
      const list = byCoordinator.get(id);
      if (list) list.push(g);
      else byCoordinator.set(id, [g]);
    }
    const described: GroupDescription[] = [];
    const committed: { groupId: string; topics: { topic: string; partitions: { partition: number; offset: string }[] }[] }[] = [];
    await Promise.all(
      [...byCoordinator].map(async ([nodeId, ids]) => {
        const broker = await this.cluster.findBroker({ nodeId: String(nodeId) });
        const [d, offsets] = await Promise.all([
          broker.describeGroups({ groupIds: ids }),
          Promise.all(ids.map(async (groupId) => ({ groupId, topics: (await broker.offsetFetch({ groupId, topics: [] })).responses }))),
        ]);
        described.push(...d.groups);
        committed.push(...offsets);
      }),
    );
    const wanted = new Set(groupIds);
    for (const g of this.coordinators.keys()) if (!wanted.has(g)) this.coordinators.delete(g); // deleted groups
    return { described, committed };
  }

  /** Partition ids of each (existing) topic, from fresh metadata. */
  async partitions(topics: string[]): Promise<Map<string, number[]>> {
    const out = new Map<string, number[]>();
    if (topics.length === 0) return out;
    // kafkajs asks metadata for every topic it was ever given, and a request naming one deleted since fails whole
    // (UNKNOWN_TOPIC_OR_PARTITION), which would fail every later poll of the cluster. The set stays additive (the
    // replay sender relies on its topics staying in the metadata); on that error, when it holds topics besides these,
    // it is cut down to these and asked once more (an error then is about these: the caller's to handle).
    const before = this.cluster.targetTopics;
    this.cluster.targetTopics = new Set([...before, ...topics]);
    try {
      await this.cluster.refreshMetadata();
    } catch (e) {
      if ((e as { type?: string }).type !== "UNKNOWN_TOPIC_OR_PARTITION" || this.cluster.targetTopics.size === new Set(topics).size) throw e;
      this.cluster.targetTopics = new Set(topics);
      await this.cluster.refreshMetadata();
    }
    for (const t of topics) out.set(t, this.cluster.findTopicPartitionMetadata(t).map((p) => p.partitionId).sort((a, b) => a - b));
    return out;
  }

  /** Latest (high watermark) and earliest offsets of every partition of the topics: two ListOffsets per broker. */
  async offsets(topics: Map<string, number[]>): Promise<Map<string, { high: number; low: number }>> {
    const req = [...topics].filter(([, ps]) => ps.length > 0).map(([topic, ps]) => ({ topic, partitions: ps.map((partition) => ({ partition })) }));
    const out = new Map<string, { high: number; low: number }>();
    if (req.length === 0) return out;
    const [high, low] = await Promise.all([
      this.cluster.fetchTopicsOffset(req.map((r) => ({ ...r, fromBeginning: false }))),
      this.cluster.fetchTopicsOffset(req.map((r) => ({ ...r, fromBeginning: true }))),
    ]);
    for (const t of high) for (const p of t.partitions) out.set(tpKey(t.topic, p.partition), { high: Number(p.offset), low: 0 });
    for (const t of low) for (const p of t.partitions) {
      const e = out.get(tpKey(t.topic, p.partition));
      if (e) e.low = Number(p.offset);
    }
    return out;
  }

  /**
   * Timestamp (ms) of the record at each offset, or of the first record after it when that offset holds none
   * (a compacted or transactional gap), keyed by `positionKey`. A Fetch names each partition once, so several
   * offsets on one partition (several groups reading it) take rounds: each round fetches the lowest unresolved offset
   * of every partition, one request per broker, and every wanted offset the returned records cover is resolved at
   * once. Offsets that cannot be read (an error, nothing returned) are left out.
   */
  async timestampsAt(positions: (TopicPartition & { offset: number })[], maxBytesPerPartition = 64 * 1024, maxRounds = 50): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    const pending = new Map<string, { topic: string; partition: number; offsets: number[] }>();
    for (const p of positions) {
      const k = tpKey(p.topic, p.partition);
      const e = pending.get(k) ?? { topic: p.topic, partition: p.partition, offsets: [] };
      if (!e.offsets.includes(p.offset)) e.offsets.push(p.offset);
      pending.set(k, e);
    }
    for (const e of pending.values()) e.offsets.sort((a, b) => a - b);
    for (let round = 0; round < maxRounds && pending.size > 0; round++) {
      const byBroker = new Map<string, { topic: string; partition: number; offset: number }[]>();
      for (const [k, e] of pending) {
        const nodeId = Object.keys(this.cluster.findLeaderForPartitions(e.topic, [e.partition]))[0];
        if (nodeId === undefined) {
          pending.delete(k);
          continue;
        }
        pushTo(byBroker, nodeId, { topic: e.topic, partition: e.partition, offset: e.offsets[0]! });
      }
      await Promise.all(
        [...byBroker].map(async ([nodeId, ps]) => {
          const broker = await this.cluster.findBroker({ nodeId });
          const topics = new Map<string, { partition: number; fetchOffset: string; maxBytes: number }[]>();
          for (const p of ps) pushTo(topics, p.topic, { partition: p.partition, fetchOffset: String(p.offset), maxBytes: maxBytesPerPartition });
          const res = await broker.fetch({
            replicaId: -1,
            isolationLevel: 0,
            maxWaitTime: 0,
            minBytes: 0,
            maxBytes: Math.min(50 * 1024 * 1024, maxBytesPerPartition * ps.length),
            topics: [...topics].map(([topic, partitions]) => ({ topic, partitions })),
          });
          const answered = new Set<string>();
          for (const t of res.responses) {
            for (const p of t.partitions) {
              const k = tpKey(t.topicName, p.partition);
              const e = pending.get(k);
              if (!e) continue;
              answered.add(k);
              const msgs = p.errorCode === 0 ? p.messages.map((m) => ({ offset: Number(m.offset), ts: Number(m.timestamp) })).sort((a, b) => a.offset - b.offset) : [];
              const last = msgs[msgs.length - 1];
              const left: number[] = [];
              for (const o of e.offsets) {
                const rec = last && o <= last.offset ? msgs.find((m) => m.offset >= o) : undefined;
                if (rec) out.set(positionKey(e.topic, e.partition, o), rec.ts);
                else if (o !== e.offsets[0]) left.push(o); // not covered yet: a later round
              }
              if (left.length) e.offsets = left;
              else pending.delete(k);
            }
          }
          for (const p of ps) if (!answered.has(tpKey(p.topic, p.partition))) pending.delete(tpKey(p.topic, p.partition));
        }),
      );
    }
    return out;
  }

  /**
   * Reads the headers of the records of one partition from `from` up to (not including) `to`, a fetch at a time,
   * handing each to `visit` (records a fetch returns before `from`, from the start of their batch, are left out); stops
   * when `visit` answers true, or a fetch returns nothing. Nothing is kept: a long window costs time, not memory.
   */
  async headersBetween(
    topic: string,
    partition: number,
    from: number,
    to: number,
    visit: (r: { offset: number; headers: Record<string, Buffer | Buffer[] | undefined> }) => boolean,
    maxBytes = 1024 * 1024,
  ): Promise<void> {
    await this.cluster.addMultipleTargetTopics([topic]);
    for (let at = from; at < to; ) {
      const nodeId = Object.keys(this.cluster.findLeaderForPartitions(topic, [partition]))[0];
      if (nodeId === undefined) throw new Error(`no leader for ${topic}[${partition}]`);
      const broker = await this.cluster.findBroker({ nodeId });
      const res = await broker.fetch({
        replicaId: -1,
        isolationLevel: 0,
        maxWaitTime: 0,
        minBytes: 0,
        maxBytes,
        topics: [{ topic, partitions: [{ partition, fetchOffset: String(at), maxBytes }] }],
      });
      const p = res.responses.find((r) => r.topicName === topic)?.partitions.find((x) => x.partition === partition);
      if (!p || p.errorCode !== 0) throw new Error(`fetch of ${topic}[${partition}] at ${at} failed (error code ${p?.errorCode ?? "none"})`);
      const msgs = p.messages.map((m) => ({ offset: Number(m.offset), headers: m.headers ?? {} })).filter((m) => m.offset >= at && m.offset < to);
      if (msgs.length === 0) break;
      for (const m of msgs) if (visit(m)) return;
      at = msgs[msgs.length - 1]!.offset + 1;
    }
  }
}
