import { Kafka, logLevel, Partitioners, type Producer } from "kafkajs";
import type { KafkaClusterConfig } from "../../lib/config/env";
import { isKafkaTopicName, itemOfToken, itemToken, kafkaHeaders, replayedHeaders, replayItemHeader } from "../../lib/replay/message";
import { replayIdHeader } from "../../lib/replay/headers";
import type { ClaimedItem } from "../../db/queries/replay-run";
import { KafkaWire } from "../kafka/wire";
import { tpKey } from "../../lib/kafka/lag-poll";

/** What happened to each item of a send: confirmed (with its offset), refused for good (and why). */
export interface SendOutcome {
  confirmed: { id: number; offset?: number | null }[];
  refused: { id: number; error: string }[];
  /** refused for now (a RabbitMQ nack: a full queue, a leader change): sent again */
  nacked: number[];
}

/** Errors that no resend fixes: the record or its topic is wrong, not the connection. */
// (an unknown topic is not among them: kafkajs keeps every topic it was asked about and fails its metadata for all of
// them once one is deleted; the sender is reset and the send tried again, and the plan refuses a topic that is gone)
const permanent = new Set(["MESSAGE_TOO_LARGE", "RECORD_LIST_TOO_LARGE", "INVALID_RECORD", "TOPIC_AUTHORIZATION_FAILED", "INVALID_TOPIC_EXCEPTION", "CORRUPT_MESSAGE"]);
const unknownTopic = (e: unknown) =>
  ["UNKNOWN_TOPIC_OR_PARTITION", "INVALID_TOPIC_EXCEPTION"].includes((e as { type?: string }).type ?? "") || /does not host this topic-partition|invalid topic/i.test(String((e as Error)?.message));
function permanentError(e: unknown): string | null {
  const err = e as { type?: string; message?: string; originalError?: { type?: string } };
  const type = err?.type ?? err?.originalError?.type;
  if (type && permanent.has(type)) return `${type}: ${err.message ?? ""}`.trim();
  return null;
}

/**
 * Sends a replay's Kafka items on one cluster with an idempotent producer and acks=all. Each item goes to a partition
 * chosen here (the key's, as the Java client's partitioner would, or the original one when asked), so the
 * partition's end offset can be noted before the send; after a crash, recovery reads that partition from there and
 * finds the records already written by the item header they carry (so a Kafka replay sends no duplicates).
 */
export class KafkaReplaySender {
  private readonly kafka: Kafka;
  private producer: Producer | null = null;
  private wire: KafkaWire | null = null;
  private readonly partitionCache = new Map<string, { at: number; partitions: number[] }>();
  private readonly partitioner = Partitioners.DefaultPartitioner();

  constructor(readonly cluster: KafkaClusterConfig) {
    this.kafka = new Kafka({ clientId: "switchyard-replay", brokers: cluster.brokers, connectionTimeout: 5000, logLevel: logLevel.NOTHING, retry: { retries: 5 } });
  }

  private async connect(): Promise<{ producer: Producer; wire: KafkaWire }> {
    if (!this.producer) {
      const p = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
      await p.connect();
      this.producer = p;
    }
    if (!this.wire) {
      const w = new KafkaWire(this.kafka);
      await w.connect();
      this.wire = w;
    }
    return { producer: this.producer, wire: this.wire };
  }

  /** Forget the connections after an error: the next call makes new ones. */
  async reset(): Promise<void> {
    const p = this.producer;
    const w = this.wire;
    this.producer = null;
    this.wire = null;
    // a new connection has no metadata: what was cached was loaded into the old one
    this.partitionCache.clear();
    await p?.disconnect().catch(() => undefined);
    await w?.disconnect().catch(() => undefined);
  }

  async close(): Promise<void> {
    await this.reset();
  }

  /** The topic's partitions, or null when it does not exist. */
  async partitions(topic: string): Promise<number[] | null> {
    if (!isKafkaTopicName(topic)) return null;
    const cached = this.partitionCache.get(topic);
    if (cached && Date.now() - cached.at < 30_000) return cached.partitions;
    const read = async () => (await (await this.connect()).wire.partitions([topic])).get(topic) ?? [];
    let ps: number[] = [];
    try {
      ps = await read();
    } catch (e) {
      if (!unknownTopic(e)) throw e;
      // perhaps another topic it was asked about before is gone: ask again on a fresh connection, about this one only
      await this.reset();
      try {
        ps = await read();
      } catch (again) {
        if (!unknownTopic(again)) throw again;
        await this.reset(); // leave the missing topic out of the next connection's metadata
        ps = [];
      }
    }
    if (ps.length === 0) return null;
    this.partitionCache.set(topic, { at: Date.now(), partitions: ps });
    return ps;
  }

  private partitionFor(item: ClaimedItem, topic: string, partitions: number[], keep: boolean): number {
    // the partition the record was read from on its original topic (Spring's header), not the dead-letter topic's
    const original = item.properties.originalPartition;
    if (keep && typeof original === "number" && partitions.includes(original)) return original;
    return this.partitioner({ topic, partitionMetadata: partitions.map((partitionId) => ({ partitionId, leader: 0, replicas: [0], isr: [0], partitionErrorCode: 0 })), message: { key: item.key, value: null } });
  }

  /**
   * Chooses each item's partition and reads the partitions' end offsets (what `noteBefore` writes to Postgres before
   * the send). Items whose topic does not exist are refused.
   */
  async plan(items: ClaimedItem[], keepPartition: boolean): Promise<{ targets: { id: number; topic: string; partition: number; offsetBefore: number }[]; refused: { id: number; error: string }[] }> {
    const { wire } = await this.connect();
    const targets: { id: number; topic: string; partition: number; offsetBefore: number }[] = [];
    const refused: { id: number; error: string }[] = [];
    const chosen: { id: number; topic: string; partition: number }[] = [];
    for (const it of items) {
      const topic = it.destination;
      const ps = topic ? await this.partitions(topic) : null;
      if (!topic || !ps) {
        refused.push({ id: it.id, error: `topic ${topic ?? "(none)"} does not exist on cluster ${this.cluster.name}` });
        continue;
      }
      chosen.push({ id: it.id, topic, partition: this.partitionFor(it, topic, ps, keepPartition) });
    }
    const wanted = new Map<string, number[]>();
    for (const c of chosen) wanted.set(c.topic, [...new Set([...(wanted.get(c.topic) ?? []), c.partition])]);
    const offsets = await wire.offsets(wanted);
    for (const c of chosen) targets.push({ ...c, offsetBefore: offsets.get(tpKey(c.topic, c.partition))?.high ?? 0 });
    return { targets, refused };
  }

  /**
   * Sends the items to their planned partitions, acks=all, one request per partition: a partition's batch is written
   * whole or not at all (a request to several partitions can be half written when one refuses, and resending it
   * would duplicate the other half). A batch a permanent error refuses is sent one by one, to refuse only the record
   * at fault.
   */
  async send(replayId: number, items: ClaimedItem[], targets: Map<number, { topic: string; partition: number }>): Promise<SendOutcome> {
    const { producer } = await this.connect();
    const out: SendOutcome = { confirmed: [], refused: [], nacked: [] };
    const byPartition = new Map<string, { topic: string; partition: number; items: ClaimedItem[] }>();
    for (const it of items) {
      const t = targets.get(it.id);
      if (!t) continue;
      const k = tpKey(t.topic, t.partition);
      const e = byPartition.get(k) ?? { topic: t.topic, partition: t.partition, items: [] };
      e.items.push(it);
      byPartition.set(k, e);
    }
    const message = (it: ClaimedItem) => ({
      partition: targets.get(it.id)!.partition,
      key: it.key,
      // a tombstone is replayed as one (null), never as an empty value
      value: it.properties.tombstone === true && it.payload.length === 0 ? null : it.payload,
      headers: kafkaHeaders(replayedHeaders(it.headers, it.editedHeaders, { replayId, itemId: it.id, traceId: it.traceId, spanId: it.spanId })),
    });
    for (const { topic, items: list } of byPartition.values()) {
      try {
        const res = await producer.send({ topic, acks: -1, messages: list.map(message) });
        const base = Number(res[0]?.baseOffset ?? res[0]?.offset ?? -1);
        list.forEach((it, n) => out.confirmed.push({ id: it.id, offset: base >= 0 ? base + n : null }));
      } catch (e) {
        if (!permanentError(e)) throw e;
        for (const it of list) {
          try {
            const [r] = await producer.send({ topic, acks: -1, messages: [message(it)] });
            out.confirmed.push({ id: it.id, offset: r ? Number(r.baseOffset ?? r.offset ?? -1) : null });
          } catch (one) {
            const why = permanentError(one);
            if (!why) throw one;
            out.refused.push({ id: it.id, error: why });
          }
        }
      }
    }
    return out;
  }

  /**
   * Items a crash left in `sending`: each partition is read from the lowest offset noted before a send to its end, and
   * an item whose record is there (its item header, with this replay's id) is confirmed; the others were never
   * written and go back to pending.
   */
  async recover(replayId: number, items: { id: number; spanId: string; destination: string | null; partition: number | null; offsetBefore: number | null }[]): Promise<{ found: { id: number; offset: number }[]; notFound: number[] }> {
    const { wire } = await this.connect();
    const found: { id: number; offset: number }[] = [];
    const notFound: number[] = [];
    const byTp = new Map<string, { topic: string; partition: number; from: number; ids: Set<number> }>();
    const tokens = new Map(items.map((i) => [i.id, itemToken(i.id, i.spanId)]));
    for (const it of items) {
      if (!it.destination || it.partition === null || it.offsetBefore === null) {
        notFound.push(it.id); // never got as far as the send
        continue;
      }
      const k = tpKey(it.destination, it.partition);
      const e = byTp.get(k) ?? { topic: it.destination, partition: it.partition, from: it.offsetBefore, ids: new Set<number>() };
      e.from = Math.min(e.from, it.offsetBefore);
      e.ids.add(it.id);
      byTp.set(k, e);
    }
    for (const e of byTp.values()) {
      // loads the topic's metadata into this connection (a restarted process has none)
      if (!(await this.partitions(e.topic))) {
        notFound.push(...e.ids); // the topic is gone: the plan refuses them on the next send
        continue;
      }
      const ends = [...(await wire.offsets(new Map([[e.topic, [e.partition]]]))).values()][0];
      const end = ends?.high ?? e.from;
      const seen = new Map<number, number>();
      // from no lower than the log's start (retention may have deleted the window), and only until every item is found
      await wire.headersBetween(e.topic, e.partition, Math.max(e.from, ends?.low ?? 0), end, (r) => {
        const rid = one(r.headers[replayIdHeader]);
        const token = one(r.headers[replayItemHeader]);
        const item = itemOfToken(token);
        if (rid === String(replayId) && item !== null && tokens.get(item) === token) seen.set(item, r.offset);
        return seen.size >= e.ids.size;
      });
      for (const id of e.ids) {
        const off = seen.get(id);
        if (off !== undefined) found.push({ id, offset: off });
        else notFound.push(id);
      }
    }
    return { found, notFound };
  }
}

const one = (v: Buffer | Buffer[] | undefined): string | null => (v === undefined ? null : Array.isArray(v) ? (v[0]?.toString("utf8") ?? null) : v.toString("utf8"));
