import type amqp from "amqplib";
import type { RabbitBrokerConfig } from "../../lib/config/env";
import { backoffDelay } from "../../lib/backoff";
import { errorMessage } from "../../lib/errors";
import { amqpUrlForVhost } from "../../lib/rabbitmq/amqp-url";
import type { DeadLetterQueueRef } from "../../lib/rabbitmq/dead-letter-queue";
import { rabbitDeadLetterRow, unreadableRabbitDeadLetter, type RabbitCaptured, type RabbitDeadMessage } from "../../lib/rabbitmq/dead-letter-record";
import { queueKey, queueKeyPrefix } from "../../lib/rabbitmq/queue-key";
import type { Db } from "../../db/client";
import { claimPendingDeadLetters, clearPendingDeadLetters, confirmCaptured, storeByPosition, type RabbitQueueScope } from "../../db/queries/dead-letter-store";
import { deadLettersCaptured } from "../metrics";
import { describeAmqpError } from "../sources/probes";
import { guardedAmqplib } from "./amqp-decode-guard";

/**
 * Captures RabbitMQ dead-letter queues into Postgres without loss or duplicates.
 *   capture: each queue is consumed on a channel of a connection to its own virtual host, with manual acks and a
 *     bounded prefetch. A batch is taken with deliveries stopped (basic.cancel), written to Postgres, acked, the ack
 *     confirmed by a round trip on the same channel, its rows marked captured, and then deliveries resume. When
 *     Postgres is down nothing is acked: the batch is kept and retried with backoff, and the broker is reported
 *     unhealthy. A row Postgres refuses is kept in quarantine form (db/queries/dead-letter-store.ts) and the queue
 *     moves on.
 *   observe: never drains a queue. Stream queues are read from the start with `x-stream-offset` (reading a stream
 *     removes nothing); classic and quorum queues can only be monitored by depth in this mode.
 *
 * Duplicates. A dead letter with a message id and an x-death time is keyed by them (a redelivery conflicts on the
 * unique key), a stream record by its offset. One without a message id (or with one but no x-death: a recoverer that
 * republishes to the DLQ keeps the id for every death) that the broker never delivered before (`redelivered` false) is
 * new by definition: it is stored under its content key plus a random suffix, marked `capture_pending` until the
 * broker has processed its ack. A redelivered one may have been stored by a capture that stopped between insert and
 * ack: it claims a pending row with its content key (its own earlier capture) and is not stored again; with none it
 * is stored as new. While a batch's ack is in flight no other message is delivered (deliveries are stopped), so a
 * capture killed after the broker processed that ack but before its rows were marked leaves pending rows that no
 * message then unacked can claim; such rows are cleared whenever the queue is seen empty with no consumer. What
 * stays ambiguous is in the README (RabbitMQ queues and dead letters).
 */
export interface DlqCaptureOptions {
  mode: "capture" | "observe";
  prefetch: number;
  maxBytes: number;
  batchMs?: number;
}

interface Delivery {
  msg: amqp.ConsumeMessage;
  cap: RabbitCaptured;
}

/** amqplib reports a refused connection.open only as the frame it got instead of open-ok */
function describeVhostError(e: unknown): string {
  const msg = describeAmqpError(e);
  return /Expected ConnectionOpenOk; got <ConnectionClose/.test(msg) ? "the broker refused to open it (access refused: no permission for this user, or no such vhost)" : msg;
}

/** Why each broker's dead-letter queues cannot be captured right now, for the queue collector to show. */
const problems = new Map<string, Map<string, string>>();

/** Why `vhost`/`name` of `broker` is not being captured although it should be, or null. */
export function captureProblem(broker: string, vhost: string, name: string): string | null {
  return problems.get(broker)?.get(queueKey(vhost, name)) ?? null;
}

export class DlqCapture {
  /** one connection per virtual host */
  private readonly conns = new Map<string, amqp.ChannelModel>();
  private readonly connecting = new Map<string, Promise<amqp.ChannelModel>>();
  /** a vhost that could not be opened is tried again after this time, not on every poll */
  private readonly vhostRetry = new Map<string, { at: number; failures: number; error: string }>();
  private readonly consumers = new Map<string, { ch: amqp.Channel }>();
  private readonly problems = new Map<string, string>();
  private stopped = false;
  private syncing: Promise<void> | null = null;
  private nextSync: DeadLetterQueueRef[] | null = null;
  /** why capture is failing right now (Postgres down, ...), or null */
  error: string | null = null;
  private failures = 0;

  constructor(
    private readonly broker: RabbitBrokerConfig,
    private readonly opts: DlqCaptureOptions,
    private readonly db: Db,
    private readonly log: (s: string) => void,
  ) {
    problems.set(broker.name, this.problems);
  }

  private tag(vhost: string) {
    return `[rabbitmq-dlq:${this.broker.name}${vhost === "/" ? "" : ` vhost ${vhost}`}]`;
  }

  private async connection(vhost: string): Promise<amqp.ChannelModel> {
    const open = this.conns.get(vhost);
    if (open) return open;
    const retry = this.vhostRetry.get(vhost);
    if (retry && Date.now() < retry.at) throw new Error(retry.error);
    let p = this.connecting.get(vhost);
    if (!p) {
      p = (async () => {
        await null; // nothing below runs before `connecting` holds this promise
        try {
          // amqplib with a field-table decoder that cannot be made to close the connection (see amqp-decode-guard)
          const c = await guardedAmqplib.connect(amqpUrlForVhost(this.broker.amqpUrl, vhost), {
            timeout: 5000,
            clientProperties: { connection_name: `switchyard-dlq-capture ${vhost}` },
          });
          c.on("error", () => undefined);
          c.on("close", () => {
            if (this.conns.get(vhost) === c) this.conns.delete(vhost);
            for (const k of [...this.consumers.keys()]) if (k.startsWith(queueKeyPrefix(vhost))) this.consumers.delete(k);
            if (!this.stopped) this.log(`${this.tag(vhost)} connection closed; consumers restart on the next poll`);
          });
          this.conns.set(vhost, c);
          this.vhostRetry.delete(vhost);
          return c;
        } catch (e) {
          const failures = (retry?.failures ?? 0) + 1;
          const error = `cannot open virtual host "${vhost}": ${describeVhostError(e)}`;
          this.vhostRetry.set(vhost, { at: Date.now() + backoffDelay(failures), failures, error });
          throw new Error(error);
        } finally {
          this.connecting.delete(vhost);
        }
      })();
      this.connecting.set(vhost, p);
    }
    return p;
  }

  /** Brings the set of consumed queues in line with the dead-letter queues the last poll found. */
  async sync(queues: DeadLetterQueueRef[]): Promise<void> {
    if (this.stopped) return;
    if (this.syncing) {
      // one sync at a time; the latest list wins
      this.nextSync = queues;
      return this.syncing;
    }
    this.syncing = (async () => {
      try {
        let list: DeadLetterQueueRef[] | null = queues;
        while (list && !this.stopped) {
          this.nextSync = null;
          await this.syncOnce(list);
          list = this.nextSync;
        }
      } finally {
        this.syncing = null;
      }
    })();
    return this.syncing;
  }

  private async syncOnce(queues: DeadLetterQueueRef[]): Promise<void> {
    const wanted = queues.filter((q) => this.opts.mode === "capture" || q.type === "stream");
    const names = new Set(wanted.map((q) => queueKey(q.vhost, q.name)));
    for (const [k, c] of this.consumers) {
      if (!names.has(k)) {
        this.consumers.delete(k);
        await c.ch.close().catch(() => undefined);
      }
    }
    for (const k of [...this.problems.keys()]) if (!names.has(k)) this.problems.delete(k);
    for (const q of wanted) {
      const k = queueKey(q.vhost, q.name);
      if (this.consumers.has(k)) continue;
      try {
        await this.consume(q);
        this.problems.delete(k);
        this.log(`${this.tag(q.vhost)} ${q.type === "stream" ? "reading stream" : "capturing"} ${q.name}`);
      } catch (e) {
        const why = e instanceof Error && e.message.startsWith("cannot open virtual host") ? e.message : `cannot consume: ${describeAmqpError(e)}`;
        if (this.problems.get(k) !== why) this.log(`${this.tag(q.vhost)} ${q.name}: ${why}`);
        this.problems.set(k, why);
      }
    }
  }

  /** Stores a batch, retrying while Postgres is unavailable. False when the capture stopped meanwhile. */
  private async untilStored<T>(what: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false }> {
    for (;;) {
      try {
        const value = await what();
        if (this.error) this.log(`[rabbitmq-dlq:${this.broker.name}] capturing again`);
        this.error = null;
        this.failures = 0;
        return { ok: true, value };
      } catch (e) {
        // Postgres is down (a row it refuses is quarantined, not thrown): ack nothing, keep the batch, try again
        this.error = `dead-letter capture paused, cannot write to Postgres: ${errorMessage(e)}`;
        if (this.failures++ === 0) this.log(`[rabbitmq-dlq:${this.broker.name}] ${this.error}`);
        if (this.stopped) return { ok: false };
        await new Promise((r) => setTimeout(r, backoffDelay(this.failures)));
      }
    }
  }

  /** Inserts a batch's new rows and claims the pending rows its redeliveries already have. */
  private async store(scope: RabbitQueueScope, batch: Delivery[]): Promise<{ inserted: number; quarantined: number; pendingKeys: string[]; claimedIds: string[] }> {
    const wanted = new Map<string, number>();
    for (const d of batch) if (d.cap.kind === "redelivered" && d.cap.contentKey) wanted.set(d.cap.contentKey, (wanted.get(d.cap.contentKey) ?? 0) + 1);
    const claimed = await claimPendingDeadLetters(this.db, scope, wanted);
    const claimedIds: string[] = [];
    const rows: RabbitCaptured["row"][] = [];
    const identityKeys: (string | undefined)[] = [];
    const pendingKeys: string[] = [];
    for (const d of batch) {
      const ids = d.cap.kind === "redelivered" && d.cap.contentKey ? claimed.get(d.cap.contentKey) : undefined;
      const id = ids?.shift();
      if (id !== undefined) {
        claimedIds.push(id); // stored by a capture that stopped before its ack: not again
        continue;
      }
      rows.push(d.cap.row);
      identityKeys.push(d.cap.identityKey);
      if (d.cap.row.capturePending) pendingKeys.push(d.cap.row.dedupKey);
    }
    const { inserted, quarantined } = await storeByPosition(this.db, rows, identityKeys);
    return { inserted, quarantined, pendingKeys, claimedIds };
  }

  private async consume(q: DeadLetterQueueRef): Promise<void> {
    const conn = await this.connection(q.vhost);
    const ch = await conn.createChannel();
    const k = queueKey(q.vhost, q.name);
    const scope: RabbitQueueScope = { broker: this.broker.name, vhost: q.vhost, queue: q.name };
    let closed = false;
    ch.on("error", () => undefined);
    ch.on("close", () => {
      closed = true;
      if (this.consumers.get(k)?.ch === ch) this.consumers.delete(k);
    });
    await ch.prefetch(this.opts.prefetch);
    const stream = q.type === "stream";
    let pending: Delivery[] = [];
    // the live consumer's tag, and every tag cancelled on this channel: a delivery already in flight from a
    // cancelled consumer, or its consume-ok answered late, must not make it look live again
    let consumerTag: string | null = null;
    const cancelled = new Set<string>();
    let flushing = false;
    let timer: NodeJS.Timeout | null = null;

    const onMessage = (msg: amqp.ConsumeMessage | null) => {
      if (!msg) {
        // the broker cancelled the consumer (queue deleted): start over on a later poll
        consumerTag = null;
        if (this.consumers.get(k)?.ch === ch) this.consumers.delete(k);
        void ch.close().catch(() => undefined);
        return;
      }
      const offset = stream ? Number(msg.properties.headers?.["x-stream-offset"]) : undefined;
      const m: RabbitDeadMessage = {
        broker: this.broker.name,
        vhost: q.vhost,
        queue: q.name,
        content: msg.content,
        fields: msg.fields,
        properties: msg.properties as unknown as RabbitDeadMessage["properties"],
        ...(offset !== undefined && Number.isFinite(offset) ? { streamOffset: offset } : {}),
      };
      let cap: RabbitCaptured;
      try {
        cap = rabbitDeadLetterRow(m, this.opts.maxBytes);
      } catch (e) {
        cap = unreadableRabbitDeadLetter(m, this.opts.maxBytes, e);
      }
      // deliveries can arrive before `consume` resolves (amqplib handles every frame of a read in one loop): the
      // tag they carry is the consumer's, and a flush started by them must cancel it
      if (!stream && consumerTag === null && !cancelled.has(msg.fields.consumerTag)) consumerTag = msg.fields.consumerTag;
      pending.push({ msg, cap });
      schedule();
    };

    const startConsuming = async () => {
      const ok = await ch.consume(q.name, onMessage, { noAck: false, ...(stream ? { arguments: { "x-stream-offset": "first" } } : {}) });
      if (!cancelled.has(ok.consumerTag)) consumerTag = ok.consumerTag;
    };

    const flush = async (): Promise<void> => {
      // Classic and quorum queues: stop deliveries first, so every message unacked on this channel is in the batch
      // and none arrives while its ack is in flight (streams are read by offset and must not restart from the first)
      // A batch whose every message is keyed by itself (a message id, a stream offset) needs none of this: a
      // redelivery conflicts on its key, so it is stored and acked while deliveries go on. (No confirmed-pending
      // row exists then: a batch with pending rows keeps deliveries stopped until they are confirmed.)
      const keyedOnly = pending.every((d) => d.cap.kind === "fixed");
      if (!stream && !keyedOnly && consumerTag) {
        const t = consumerTag;
        consumerTag = null;
        cancelled.add(t);
        await ch.cancel(t);
      }
      const batch = pending;
      pending = [];
      if (batch.length > 0) {
        const stored = await this.untilStored(() => this.store(scope, batch));
        if (!stored.ok || closed) return;
        const { inserted, quarantined, pendingKeys, claimedIds } = stored.value;
        deadLettersCaptured.inc({ system: "rabbitmq", source: q.name }, inserted);
        if (quarantined > 0) this.log(`${this.tag(q.vhost)} ${q.name}: ${quarantined} dead letter(s) Postgres refused as they came were kept in quarantine form (capture_error says why)`);
        // one ack with `allUpTo` for the batch (deliveries on a channel arrive in tag order)
        ch.ack(batch[batch.length - 1]!.msg, true);
        if (!stream && consumerTag === null) {
          // a synchronous method after the ack: when it answers, the broker has processed the ack (a channel's
          // methods are handled in order)
          const ok = await ch.checkQueue(q.name);
          const done = await this.untilStored(() => confirmCaptured(this.db, scope, pendingKeys, claimedIds));
          if (!done.ok) return;
          if (ok.messageCount === 0 && ok.consumerCount === 0) {
            // no message left anywhere in the queue: a pending row from an earlier, interrupted capture can
            // never be claimed now
            const cleared = await clearPendingDeadLetters(this.db, scope).catch(() => 0);
            if (cleared > 0) this.log(`${this.tag(q.vhost)} ${q.name}: ${cleared} row(s) left pending by an interrupted capture are captured`);
          }
        }
      }
      if (!stream && consumerTag === null && !closed && !this.stopped) await startConsuming();
    };

    const run = async () => {
      if (flushing) return;
      flushing = true;
      if (timer) clearTimeout(timer);
      timer = null;
      try {
        await flush();
      } catch (e) {
        // the channel closed under the batch: the broker requeues what was not acked, and the next poll
        // consumes the queue again; rows stored but not confirmed stay pending, for the redeliveries to claim
        if (!closed && !this.stopped) this.log(`${this.tag(q.vhost)} ${q.name}: ${describeAmqpError(e)}`);
        void ch.close().catch(() => undefined);
      } finally {
        flushing = false;
      }
      if (pending.length > 0 && !closed) schedule();
    };

    const schedule = () => {
      if (flushing) return; // the flush in progress takes what arrived before its cancel; the rest comes after
      if (pending.length >= Math.min(100, this.opts.prefetch)) void run();
      else timer ??= setTimeout(() => void run(), this.opts.batchMs ?? 50);
    };

    this.consumers.set(k, { ch });
    try {
      await startConsuming();
    } catch (e) {
      this.consumers.delete(k);
      await ch.close().catch(() => undefined);
      throw e;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const c of this.consumers.values()) await c.ch.close().catch(() => undefined);
    this.consumers.clear();
    for (const c of this.conns.values()) await c.close().catch(() => undefined);
    this.conns.clear();
    problems.delete(this.broker.name);
  }
}
