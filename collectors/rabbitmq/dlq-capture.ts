import amqp from "amqplib";
import type { RabbitBrokerConfig } from "../../lib/config/env";
import { backoffDelay } from "../../lib/backoff";
import { errorMessage } from "../../lib/errors";
import { rabbitDeadLetterRow } from "../../lib/rabbitmq/dead-letter-record";
import type { Db } from "../../db/client";
import { storeDeadLetters } from "../../db/queries/dead-letter-store";
import { deadLettersCaptured } from "../metrics";
import { describeAmqpError } from "../sources/probes";
import type { DeadLetterQueueRef } from "./queue-collector";

/**
 * Captures RabbitMQ dead-letter queues into Postgres without loss or duplicates.
 *   capture: consume with manual acks and a bounded prefetch; write each batch to Postgres and only then ack it.
 *     The insert is idempotent, so a crash between insert and ack redelivers rows that are already there. When
 *     Postgres is down nothing is acked: the batch is kept and retried with backoff, the prefetch stops deliveries,
 *     and the broker is reported unhealthy.
 *   observe: never drains a queue. Stream queues are read from the start with `x-stream-offset` (reading a stream
 *     removes nothing); classic and quorum queues can only be monitored by depth in this mode.
 */
export interface DlqCaptureOptions {
  mode: "capture" | "observe";
  prefetch: number;
  maxBytes: number;
  batchMs?: number;
}

interface Pending {
  msg: amqp.ConsumeMessage;
  row: ReturnType<typeof rabbitDeadLetterRow>;
}

export class DlqCapture {
  private conn: amqp.ChannelModel | null = null;
  private connecting: Promise<amqp.ChannelModel> | null = null;
  private readonly consumers = new Map<string, { ch: amqp.Channel; tag: string }>();
  private stopped = false;
  /** why capture is failing right now (Postgres down, ...), or null */
  error: string | null = null;
  private failures = 0;

  constructor(
    private readonly broker: RabbitBrokerConfig,
    private readonly opts: DlqCaptureOptions,
    private readonly db: Db,
    private readonly log: (s: string) => void,
  ) {}

  private async connection(): Promise<amqp.ChannelModel> {
    if (this.conn) return this.conn;
    this.connecting ??= (async () => {
      const c = await amqp.connect(this.broker.amqpUrl, { timeout: 5000, clientProperties: { connection_name: "switchyard-dlq-capture" } });
      c.on("error", () => undefined);
      c.on("close", () => {
        this.conn = null;
        this.consumers.clear();
        if (!this.stopped) this.log(`[rabbitmq-dlq:${this.broker.name}] connection closed; consumers restart on the next poll`);
      });
      this.conn = c;
      return c;
    })().finally(() => (this.connecting = null));
    return this.connecting;
  }

  /** Brings the set of consumed queues in line with the dead-letter queues the last poll found. */
  async sync(queues: DeadLetterQueueRef[]): Promise<void> {
    if (this.stopped) return;
    const wanted = queues.filter((q) => this.opts.mode === "capture" || q.type === "stream");
    const names = new Set(wanted.map((q) => `${q.vhost}\u0000${q.name}`));
    for (const [k, c] of this.consumers) {
      if (!names.has(k)) {
        await c.ch.close().catch(() => undefined);
        this.consumers.delete(k);
      }
    }
    for (const q of wanted) {
      const k = `${q.vhost}\u0000${q.name}`;
      if (this.consumers.has(k)) continue;
      try {
        await this.consume(q);
        this.log(`[rabbitmq-dlq:${this.broker.name}] ${q.type === "stream" ? "reading stream" : "capturing"} ${q.name}`);
      } catch (e) {
        this.log(`[rabbitmq-dlq:${this.broker.name}] cannot consume ${q.name}: ${describeAmqpError(e)}`);
      }
    }
  }

  private async consume(q: DeadLetterQueueRef): Promise<void> {
    const conn = await this.connection();
    const ch = await conn.createChannel();
    const k = `${q.vhost}\u0000${q.name}`;
    ch.on("error", () => undefined);
    ch.on("close", () => {
      if (this.consumers.get(k)?.ch === ch) this.consumers.delete(k);
    });
    await ch.prefetch(this.opts.prefetch);
    const stream = q.type === "stream";
    let pending: Pending[] = [];
    let flushing: Promise<void> | null = null;
    let timer: NodeJS.Timeout | null = null;

    const flush = async (): Promise<void> => {
      if (timer) clearTimeout(timer);
      timer = null;
      const batch = pending;
      pending = [];
      if (batch.length === 0) return;
      for (;;) {
        try {
          const { inserted } = await storeDeadLetters(this.db, batch.map((p) => p.row));
          deadLettersCaptured.inc({ system: "rabbitmq", source: q.name }, inserted);
          if (this.error) this.log(`[rabbitmq-dlq:${this.broker.name}] capturing again`);
          this.error = null;
          this.failures = 0;
          break;
        } catch (e) {
          // Postgres is down: ack nothing, keep the batch, try again later
          this.error = `dead-letter capture paused, cannot write to Postgres: ${errorMessage(e)}`;
          if (this.failures++ === 0) this.log(`[rabbitmq-dlq:${this.broker.name}] ${this.error}`);
          if (this.stopped) return;
          await new Promise((r) => setTimeout(r, backoffDelay(this.failures)));
        }
      }
      // one ack with `allUpTo` for the batch (deliveries on a channel arrive in tag order)
      const last = batch[batch.length - 1]!.msg;
      try {
        ch.ack(last, true);
      } catch {
        /* channel closed: the messages come back and the insert ignores them */
      }
    };
    const schedule = () => {
      if (pending.length >= Math.min(100, this.opts.prefetch)) flushing = (flushing ?? Promise.resolve()).then(flush);
      else timer ??= setTimeout(() => void (flushing = (flushing ?? Promise.resolve()).then(flush)), this.opts.batchMs ?? 50);
    };

    const { consumerTag } = await ch.consume(
      q.name,
      (msg) => {
        if (!msg) return;
        const offset = stream ? Number(msg.properties.headers?.["x-stream-offset"]) : undefined;
        const row = rabbitDeadLetterRow(
          {
            broker: this.broker.name,
            vhost: q.vhost,
            queue: q.name,
            content: msg.content,
            fields: msg.fields,
            properties: msg.properties as unknown as Record<string, unknown>,
            ...(offset !== undefined && Number.isFinite(offset) ? { streamOffset: offset } : {}),
          },
          this.opts.maxBytes,
        );
        pending.push({ msg, row });
        schedule();
      },
      { noAck: false, ...(stream ? { arguments: { "x-stream-offset": "first" } } : {}) },
    );
    this.consumers.set(k, { ch, tag: consumerTag });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const c of this.consumers.values()) await c.ch.close().catch(() => undefined);
    this.consumers.clear();
    await this.conn?.close().catch(() => undefined);
  }
}
