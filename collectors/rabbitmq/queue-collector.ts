import amqp from "amqplib";
import { rabbitPollSeconds } from "../metrics";
import type { RabbitBrokerConfig } from "../../lib/config/env";
import { errorMessage } from "../../lib/errors";
import { amqpUrlForVhost, vhostOfAmqpUrl } from "../../lib/rabbitmq/amqp-url";
import type { DeadLetterQueueRef } from "../../lib/rabbitmq/dead-letter-queue";
import { queueKey } from "../../lib/rabbitmq/queue-key";
import { deadLetterExchanges, deadLetterTopology } from "../../lib/rabbitmq/topology";
import type { Db } from "../../db/client";
import { insertQueueSamples, writeQueuePoll, type QueueRow, type QueueSampleRow } from "../../db/queries/rabbitmq";
import { PollLoop } from "../poll-loop";
import { captureProblem } from "./dlq-capture";
import { ManagementApi, type ManagementQueue } from "./management";
import { pushTo } from "../../lib/multimap";

/**
 * Polls one RabbitMQ broker's queues through the management API (paged, only the needed columns), works out which
 * queues are dead-letter queues and for whom, and writes samples and the queue list to Postgres. When the management
 * API is unavailable it checks the queues named in RABBITMQ_FALLBACK_QUEUES over AMQP (`checkQueue`) instead.
 */
export interface QueueCollectorOptions {
  intervalMs: number;
  dlqPatterns: string[];
  mode: "capture" | "observe";
  fallbackQueues: string[];
  /** why a dead-letter queue is not being captured or read although it should be (default: this process's capture) */
  captureProblem?: (vhost: string, name: string) => string | null;
}

export type { DeadLetterQueueRef };

export class QueueCollector {
  private readonly api: ManagementApi;
  private readonly loop: PollLoop;
  /** the definition last written per queue, so unchanged ones are not rewritten every poll */
  private readonly written = new Map<string, string>();
  private lastFullWrite = 0;
  /** every queue the last successful poll saw */
  private lastNames: Set<string> | null = null;
  private routes: Map<string, { exchange: string; routingKey: string }[]> | null = null;
  private routesAt = 0;
  /** dead-letter queues found by the last poll, for the capture */
  deadLetterQueues: DeadLetterQueueRef[] = [];
  lastError: string | null = null;

  constructor(
    private readonly broker: RabbitBrokerConfig,
    private readonly opts: QueueCollectorOptions,
    private readonly db: Db,
    private readonly log: (s: string) => void,
    private readonly onPoll: (dlqs: DeadLetterQueueRef[]) => void = () => undefined,
  ) {
    this.api = new ManagementApi(broker);
    this.loop = new PollLoop(
      opts.intervalMs,
      async () => {
        const started = performance.now();
        await this.pollOnce();
        rabbitPollSeconds.observe({ broker: this.broker.name }, (performance.now() - started) / 1000);
        this.lastError = null;
      },
      async (e, failures) => {
        this.lastError = errorMessage(e);
        if (failures === 1) this.log(`[rabbitmq-queues:${this.broker.name}] management API poll failed: ${this.lastError}`);
        await this.fallback().catch((f: unknown) => this.log(`[rabbitmq-queues:${this.broker.name}] fallback failed: ${errorMessage(f)}`));
      },
      () => this.log(`[rabbitmq-queues:${this.broker.name}] polling again`),
    );
  }

  start(): this {
    this.loop.start();
    return this;
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  async pollOnce(): Promise<{ queues: number; deadLetterQueues: number }> {
    const at = new Date();
    // each page's samples are written while the broker serves the next pages (they need nothing from other pages)
    const sampleWrites: Promise<void>[] = [];
    const listed = Promise.all([
      this.api.queues(500, 3, (page) => {
        if (page.length === 0) return;
        const write = insertQueueSamples(this.db, page.map((q) => this.sample(q, at)));
        // observed now, so a write failing while later pages are listed is not an unhandled rejection (which would
        // end the process); awaited below, where it fails the poll
        write.catch(() => undefined);
        sampleWrites.push(write);
      }),
      this.api.exchanges(),
    ]);
    const [queues, exchanges] = await listed;
    await Promise.all(sampleWrites);
    const policyOf = (q: ManagementQueue) => (Array.isArray(q.effective_policy_definition) ? {} : (q.effective_policy_definition ?? {}));
    const topoQueues = queues.map((q) => ({ vhost: q.vhost, name: q.name, arguments: q.arguments, effectivePolicy: policyOf(q) }));
    const bindings = await this.api.bindingsFrom(deadLetterExchanges(topoQueues));
    const routes = await this.routesOf(exchanges, at);
    const topo = deadLetterTopology(
      topoQueues,
      exchanges,
      bindings.map((b) => ({ vhost: b.vhost, source: b.source, destination: b.destination, destinationType: b.destination_type, routingKey: b.routing_key })),
      this.opts.dlqPatterns,
    );
    const rows: QueueRow[] = [];
    const dlqs: DeadLetterQueueRef[] = [];
    for (const q of queues) {
      const t = topo.get(queueKey(q.vhost, q.name));
      const isDlq = t?.isDeadLetterQueue ?? false;
      const intended = !isDlq ? null : this.opts.mode === "capture" ? "capture" : q.type === "stream" ? "observe-stream" : "monitor-only";
      // a queue the capture cannot consume (its vhost cannot be opened, ...) says so instead of claiming capture
      const problem = intended === "capture" || intended === "observe-stream" ? this.problemOf(q.vhost, q.name) : null;
      const captureMode = problem ? "not-captured" : intended;
      rows.push({
        broker: this.broker.name,
        vhost: q.vhost,
        name: q.name,
        type: q.type,
        state: q.state ?? null,
        arguments: q.arguments,
        policy: q.policy ?? null,
        deadLetterExchange: t?.route?.deadLetterExchange ?? null,
        deadLetterRoutingKey: t?.route?.deadLetterRoutingKey ?? null,
        isDeadLetterQueue: isDlq,
        deadLetterSources: t?.deadLetterSources ?? [],
        deadLetterTargets: t?.route?.targets ?? [],
        boundFrom: routes.get(queueKey(q.vhost, q.name)) ?? [],
        dlxMissing: t?.route?.dlxMissing ?? false,
        captureMode,
        captureError: problem,
        updatedAt: at,
      });
      if (isDlq) dlqs.push({ vhost: q.vhost, name: q.name, type: q.type, sources: t?.deadLetterSources ?? [] });
    }
    // write only definitions that changed; refresh every row now and then so updated_at stays meaningful
    const refreshAll = this.written.size === 0 || at.getTime() - this.lastFullWrite > 10 * 60_000;
    const changed = rows.filter((r) => {
      const { updatedAt: _u, ...def } = r;
      const sig = JSON.stringify(def);
      const k = queueKey(r.vhost, r.name);
      if (!refreshAll && this.written.get(k) === sig) return false;
      this.written.set(k, sig);
      return true;
    });
    if (refreshAll) this.lastFullWrite = at.getTime();
    // queues that are gone are removed only when the set of names changed (the delete compares all of them)
    const names = new Set(queues.map((q) => queueKey(q.vhost, q.name)));
    const sameSet = this.lastNames !== null && this.lastNames.size === names.size && [...names].every((k) => this.lastNames!.has(k));
    await writeQueuePoll(this.db, this.broker.name, changed, [], sameSet ? null : queues.map((q) => ({ vhost: q.vhost, name: q.name })));
    this.lastNames = names;
    if (this.written.size > rows.length * 2) this.written.clear();
    this.deadLetterQueues = dlqs;
    this.onPoll(dlqs);
    return { queues: rows.length, deadLetterQueues: dlqs.length };
  }

  /**
   * Which exchanges route to each queue (vhost/name key): the bindings of every exchange but the default one and the
   * broker's own `amq.*`, read at most once a minute (one request per exchange, 8 at a time); between reads, and when
   * a read fails, the last answer stands.
   */
  private async routesOf(exchanges: { vhost: string; name: string }[], at: Date): Promise<Map<string, { exchange: string; routingKey: string }[]>> {
    if (this.routes && at.getTime() - this.routesAt < 60_000) return this.routes;
    const user = exchanges.filter((e) => e.name !== "" && !e.name.startsWith("amq."));
    try {
      const found = await this.api.bindingsFrom(user, 0);
      const m = new Map<string, { exchange: string; routingKey: string }[]>();
      for (const b of found) {
        if (b.destination_type !== "queue") continue;
        const k = queueKey(b.vhost, b.destination);
        const list = m.get(k) ?? [];
        if (!list.some((x) => x.exchange === b.source && x.routingKey === b.routing_key)) list.push({ exchange: b.source, routingKey: b.routing_key });
        m.set(k, list);
      }
      for (const list of m.values()) list.sort((a, b) => a.exchange.localeCompare(b.exchange) || a.routingKey.localeCompare(b.routingKey));
      this.routes = m;
      this.routesAt = at.getTime();
    } catch (e) {
      this.log(`[rabbitmq-queues:${this.broker.name}] bindings not read: ${errorMessage(e)}`);
      this.routes ??= new Map();
    }
    return this.routes;
  }

  private problemOf(vhost: string, name: string): string | null {
    return this.opts.captureProblem ? this.opts.captureProblem(vhost, name) : captureProblem(this.broker.name, vhost, name);
  }

  private sample(q: ManagementQueue, at: Date): QueueSampleRow {
    const stats = q.message_stats ?? {};
    return {
      broker: this.broker.name,
      vhost: q.vhost,
      queue: q.name,
      ready: q.messages_ready,
      unacked: q.messages_unacknowledged,
      consumers: q.consumers,
      consumerCapacity: q.consumer_capacity ?? q.consumer_utilisation ?? null,
      publishRate: stats.publish_details?.rate ?? null,
      deliverRate: stats.deliver_get_details?.rate ?? null,
      ackRate: stats.ack_details?.rate ?? null,
      redeliverRate: stats.redeliver_details?.rate ?? null,
      headMessageAgeSeconds: q.head_message_timestamp ? Math.max(0, at.getTime() / 1000 - q.head_message_timestamp) : null,
      sampledAt: at,
    };
  }

  /**
   * Depth of the configured queues over AMQP, each check on a channel of its own (a missing queue closes it), on a
   * connection to the queue's own vhost (`vhost/name`; a bare name is in the AMQP URL's vhost).
   */
  private async fallback(): Promise<void> {
    if (this.opts.fallbackQueues.length === 0) return;
    const byVhost = new Map<string, string[]>();
    for (const entry of this.opts.fallbackQueues) {
      const [vhost, name] = entry.includes("/") ? [entry.slice(0, entry.indexOf("/")) || "/", entry.slice(entry.indexOf("/") + 1)] : [vhostOfAmqpUrl(this.broker.amqpUrl), entry];
      pushTo(byVhost, vhost, name);
    }
    const at = new Date();
    const samples: QueueSampleRow[] = [];
    for (const [vhost, names] of byVhost) {
      let conn: amqp.ChannelModel;
      try {
        conn = await amqp.connect(amqpUrlForVhost(this.broker.amqpUrl, vhost), { timeout: 5000 });
      } catch (e) {
        this.log(`[rabbitmq-queues:${this.broker.name}] fallback: cannot open virtual host "${vhost}": ${errorMessage(e)}`);
        continue;
      }
      conn.on("error", () => undefined);
      try {
        for (const name of names) {
          const ch = await conn.createChannel();
          ch.on("error", () => undefined);
          try {
            const ok = await ch.checkQueue(name);
            samples.push({ broker: this.broker.name, vhost, queue: name, ready: ok.messageCount, unacked: 0, consumers: ok.consumerCount, sampledAt: at });
            await ch.close();
          } catch (e) {
            this.log(`[rabbitmq-queues:${this.broker.name}] fallback: queue ${name}: ${errorMessage(e)}`);
          }
        }
      } finally {
        await conn.close().catch(() => undefined);
      }
    }
    await writeQueuePoll(this.db, this.broker.name, [], samples, null);
  }
}
