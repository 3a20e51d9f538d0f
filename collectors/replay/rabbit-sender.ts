import amqp from "amqplib";
import type { RabbitBrokerConfig } from "../../lib/config/env";
import { amqpUrlForVhost } from "../../lib/rabbitmq/amqp-url";
import { itemOfToken, rabbitProperties, rabbitTarget, replayedHeaders, replayItemHeader, wireValue, type RabbitTarget } from "../../lib/replay/message";
import type { ClaimedItem } from "../../db/queries/replay-run";
import type { SendOutcome } from "./kafka-sender";
import { pushTo } from "../../lib/multimap";

/**
 * Sends a replay's RabbitMQ items on one broker: one connection and confirm channel per vhost, each message
 * published `mandatory` (a routing key nothing is bound to comes back, and the item is refused rather than lost)
 * and counted confirmed only on the broker's publisher confirm. A crash between the send and the confirm leaves the
 * item in `sending`; it is sent again with the same message id and replay id, and reported uncertain.
 */
export class RabbitReplaySender {
  private readonly vhosts = new Map<string, { conn: amqp.ChannelModel; ch: amqp.ConfirmChannel; returned: Set<number> }>();
  private readonly exchanges = new Map<string, { at: number; exists: boolean }>();

  constructor(readonly broker: RabbitBrokerConfig) {}

  private async channel(vhost: string) {
    const have = this.vhosts.get(vhost);
    if (have) return have;
    const conn = await amqp.connect(amqpUrlForVhost(this.broker.amqpUrl, vhost), { timeout: 5000, clientProperties: { connection_name: "switchyard-replay" } });
    conn.on("error", () => undefined);
    const ch = await conn.createConfirmChannel();
    ch.on("error", () => undefined);
    const entry = { conn, ch, returned: new Set<number>() };
    ch.on("return", (m: amqp.Message) => {
      const id = itemOfToken(m.properties.headers?.[replayItemHeader]);
      if (id !== null) entry.returned.add(id);
    });
    const forget = () => {
      if (this.vhosts.get(vhost) === entry) this.vhosts.delete(vhost);
    };
    conn.on("close", forget);
    ch.on("close", forget);
    this.vhosts.set(vhost, entry);
    return entry;
  }

  async reset(): Promise<void> {
    const all = [...this.vhosts.values()];
    this.vhosts.clear();
    await Promise.all(all.map((e) => e.conn.close().catch(() => undefined)));
  }

  async close(): Promise<void> {
    await this.reset();
  }

  /** What is known of the exchange without asking the broker (the default one, or an answer under 10 s old). */
  private knownExchange(vhost: string, exchange: string): boolean | undefined {
    if (exchange === "" || exchange.startsWith("amq.")) return true;
    const c = this.exchanges.get(`${vhost}\u0000${exchange}`);
    return c && Date.now() - c.at < 10_000 ? c.exists : undefined;
  }

  /** Whether the exchange exists in the vhost (the default exchange always does); checked on a channel of its own. */
  async exchangeExists(vhost: string, exchange: string): Promise<boolean> {
    const known = this.knownExchange(vhost, exchange);
    if (known !== undefined) return known;
    const { conn } = await this.channel(vhost);
    const probe = await conn.createChannel();
    probe.on("error", () => undefined);
    let exists = true;
    try {
      await probe.checkExchange(exchange);
    } catch (e) {
      if ((e as { code?: number }).code === 404) exists = false;
      else throw e;
    } finally {
      await probe.close().catch(() => undefined);
    }
    this.exchanges.set(`${vhost}\u0000${exchange}`, { at: Date.now(), exists });
    return exists;
  }

  /** Whether a queue exists in the vhost (a typed queue destination), checked like an exchange. */
  async queueExists(vhost: string, queue: string): Promise<boolean> {
    const { conn } = await this.channel(vhost);
    const probe = await conn.createChannel();
    probe.on("error", () => undefined);
    try {
      await probe.checkQueue(queue);
      return true;
    } catch (e) {
      if ((e as { code?: number }).code === 404) return false;
      throw e;
    } finally {
      await probe.close().catch(() => undefined);
    }
  }

  targetOf(it: ClaimedItem, typed: string | null): RabbitTarget | null {
    return rabbitTarget(typed, { exchange: it.originalExchange, routingKey: it.originalRoutingKey });
  }

  /**
   * Publishes the items (what `pace` returns is awaited before each, for the rate limit) and resolves once all are handed to the
   * channel, with `answers`, which waits for the broker's confirm of each. So the engine publishes the next batch while
   * this one's confirms come in. Items whose exchange does not exist, whose routing key reaches no queue, or that
   * cannot be encoded as AMQP are refused (each alone: its neighbours still go); a nacked item is sent again later; a
   * channel closed before every confirm came makes `answers` throw (the items stay in their open batch and are
   * recovered).
   */
  async publish(replayId: number, items: ClaimedItem[], typed: string | null, pace: () => Promise<void> | undefined): Promise<{ answers: () => Promise<SendOutcome> }> {
    const refused: SendOutcome["refused"] = [];
    const waits: { vhost: string; entry: Awaited<ReturnType<RabbitReplaySender["channel"]>>; confirms: Promise<{ it: ClaimedItem; ok: boolean }>[] }[] = [];
    const byVhost = new Map<string, ClaimedItem[]>();
    for (const it of items) pushTo(byVhost, it.vhost ?? "/", it);
    for (const [vhost, list] of byVhost) {
      const entry = await this.channel(vhost);
      const confirms: Promise<{ it: ClaimedItem; ok: boolean }>[] = [];
      waits.push({ vhost, entry, confirms });
      for (const it of list) {
        const t = this.targetOf(it, typed);
        if (!t) {
          refused.push({ id: it.id, error: "no original exchange and routing key in its death history; give a destination" });
          continue;
        }
        // no await per message where nothing is waited for (the exchange known, the rate not reached)
        if (!(this.knownExchange(vhost, t.exchange) ?? (await this.exchangeExists(vhost, t.exchange)))) {
          refused.push({ id: it.id, error: `exchange ${t.exchange} does not exist in vhost ${vhost}` });
          continue;
        }
        const wait = pace();
        if (wait) await wait;
        const headers = wireValue(replayedHeaders(it.headers, it.editedHeaders, { replayId, itemId: it.id, traceId: it.traceId, spanId: it.spanId })) as Record<string, unknown>;
        // the promise is made first and the publish called outside its executor, so that a throw reaches the catch
        let answered!: (a: { it: ClaimedItem; ok: boolean }) => void;
        const confirmed = new Promise<{ it: ClaimedItem; ok: boolean }>((resolve) => (answered = resolve));
        const onConfirm = (err: unknown) => answered({ it, ok: !err });
        try {
          entry.ch.publish(t.exchange, t.routingKey, it.payload, { ...rabbitProperties(it.properties, it.deadLetterId), headers, mandatory: true }, onConfirm);
          confirms.push(confirmed);
        } catch (e) {
          // the channel closed under the publish: a lost send, recovered with the batch
          if (this.vhosts.get(vhost) !== entry || (e as { name?: string } | null)?.name === "IllegalOperationError") throw e;
          // amqplib could not encode it (a header name over 255 bytes, a value of no AMQP type), and nothing was sent;
          // but its confirm channel took a slot for it first, and every later confirm would be paired with the item
          // before its own: the slot is taken back, or (another amqplib) the channel is dropped and the batch recovered
          if (!dropConfirmSlot(entry.ch, onConfirm)) {
            this.vhosts.delete(vhost);
            await entry.conn.close().catch(() => undefined);
            throw new Error(`channel to vhost ${vhost} dropped: a message it could not encode left its confirms out of step (${e instanceof Error ? e.message : String(e)})`);
          }
          refused.push({ id: it.id, error: `cannot be sent as AMQP: ${e instanceof Error ? e.message : String(e)}` });
        }
      }
    }
    return {
      answers: async () => {
        const out: SendOutcome = { confirmed: [], refused, nacked: [] };
        for (const { vhost, entry, confirms } of waits) {
          const settled = await Promise.all(confirms);
          // a closed channel answers every outstanding publish with an error: that is not a nack, it is a lost send
          if (!this.vhosts.has(vhost) || this.vhosts.get(vhost) !== entry) throw new Error(`channel to vhost ${vhost} closed before the broker confirmed`);
          for (const { it, ok } of settled) {
            if (!ok) out.nacked.push(it.id);
            else if (entry.returned.delete(it.id)) {
              const t = this.targetOf(it, typed)!;
              out.refused.push({ id: it.id, error: `no queue is bound to ${t.exchange === "" ? "the default exchange" : `exchange ${t.exchange}`} with routing key ${t.routingKey} in vhost ${vhost}` });
            } else out.confirmed.push({ id: it.id });
          }
        }
        return out;
      },
    };
  }
}

/**
 * amqplib's ConfirmChannel.publish registers the confirm callback before it encodes the message; when the encoding
 * throws, nothing is sent but the callback holds the slot of the next delivery tag. Takes it back (the last slot, when
 * it is this callback); false when amqplib keeps its slots otherwise (the caller must then drop the channel).
 */
function dropConfirmSlot(ch: amqp.ConfirmChannel, cb: unknown): boolean {
  const slots = (ch as unknown as { unconfirmed?: unknown }).unconfirmed;
  if (!Array.isArray(slots) || slots[slots.length - 1] !== cb) return false;
  slots.pop();
  return true;
}
