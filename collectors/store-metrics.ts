import client from "prom-client";
import type { Db } from "../db/client";
import { latestTopicLag, queueFlowInfo } from "../db/queries/flows";
import { deadLetterMetrics, groupStatusMetrics, partitionLagMetrics, replayProgressMetrics, workflowMetrics } from "../db/queries/metrics";
import { groupStatuses } from "../lib/kafka/group-health";
import { replayItemStatuses } from "../lib/replay-states";
import { registry } from "./metrics";

/**
 * The figures the dashboard shows, as Prometheus gauges on the collectors' /metrics, in Prometheus conventions (base
 * units in the names, one labelled series per group status): read from Postgres at scrape time (at most every
 * `cacheMs`, however often Prometheus scrapes), so a PromQL query and the API give the same figure. Label sets are
 * what the brokers and the workflow names make them: groups, topics, queues, names; partitions only with
 * METRICS_KAFKA_PARTITIONS=on.
 */
export function registerStoreMetrics(db: Db, opts: { inactiveAfterMs: number; partitions: boolean; cacheMs?: number; log: (s: string) => void }): void {
  const cacheMs = opts.cacheMs ?? 1000;
  type Snapshot = {
    lag: Awaited<ReturnType<typeof latestTopicLag>>;
    groups: Awaited<ReturnType<typeof groupStatusMetrics>>;
    partitions: Awaited<ReturnType<typeof partitionLagMetrics>>;
    queues: Awaited<ReturnType<typeof queueFlowInfo>>;
    deadLetters: Awaited<ReturnType<typeof deadLetterMetrics>>;
    workflows: Awaited<ReturnType<typeof workflowMetrics>>;
    replay: Awaited<ReturnType<typeof replayProgressMetrics>>;
  };
  let last: { at: number; snap: Promise<Snapshot | null> } | null = null;
  const snapshot = (): Promise<Snapshot | null> => {
    if (last && Date.now() - last.at < cacheMs) return last.snap;
    const snap = (async () => {
      const [lag, groups, partitions, queues, deadLetters, workflows, replay] = await Promise.all([
        latestTopicLag(db),
        groupStatusMetrics(db, opts.inactiveAfterMs),
        opts.partitions ? partitionLagMetrics(db) : Promise.resolve([]),
        queueFlowInfo(db),
        deadLetterMetrics(db),
        workflowMetrics(db),
        replayProgressMetrics(db),
      ]);
      return { lag, groups, partitions, queues, deadLetters, workflows, replay };
    })().catch((e: unknown) => {
      // a scrape while Postgres is away: these gauges are left out, the process's own metrics still answer
      opts.log(`[metrics] cannot read the figures from Postgres: ${e instanceof Error ? e.message : String(e)}`);
      return null;
    });
    last = { at: Date.now(), snap };
    return snap;
  };

  const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[], fill: (g: client.Gauge<L>, s: Snapshot) => void) =>
    new client.Gauge<L>({
      name,
      help,
      labelNames,
      registers: [registry],
      async collect() {
        this.reset();
        const s = await snapshot();
        if (s) fill(this, s);
      },
    });

  gauge("switchyard_kafka_consumergroup_lag_messages", "Messages a consumer group is behind on a topic, at its latest poll (the API's lag)", ["cluster", "group", "topic"], (g, s) => {
    for (const l of s.lag) if (l.messages !== null) g.set({ cluster: l.cluster, group: l.group, topic: l.topic }, l.messages);
  });
  gauge("switchyard_kafka_consumergroup_lag_seconds", "Age in seconds of the oldest message a consumer group has not consumed on a topic (the API's lag in time)", ["cluster", "group", "topic"], (g, s) => {
    for (const l of s.lag) if (l.seconds !== null) g.set({ cluster: l.cluster, group: l.group, topic: l.topic }, l.seconds);
  });
  gauge("switchyard_kafka_consumergroup_status", "1 for a consumer group's Burrow-style status now (OK, WARN, STALL, STOP, REWIND), 0 for the others", ["cluster", "group", "status"], (g, s) => {
    for (const x of s.groups) for (const st of groupStatuses) g.set({ cluster: x.cluster, group: x.group, status: st }, x.status === st ? 1 : 0);
  });
  gauge("switchyard_kafka_consumergroup_members", "Members of a consumer group", ["cluster", "group"], (g, s) => {
    for (const x of s.groups) g.set({ cluster: x.cluster, group: x.group }, x.members);
  });
  gauge("switchyard_kafka_consumergroup_inactive", "1 when a consumer group has had no members for longer than KAFKA_INACTIVE_AFTER", ["cluster", "group"], (g, s) => {
    for (const x of s.groups) g.set({ cluster: x.cluster, group: x.group }, x.inactive ? 1 : 0);
  });
  gauge("switchyard_kafka_consumergroup_uncommitted_backlog_messages", "Messages on the partitions a group never committed on (end − log start): what it would face on joining, not lag", ["cluster", "group"], (g, s) => {
    for (const x of s.groups) g.set({ cluster: x.cluster, group: x.group }, x.uncommittedBacklog);
  });
  if (opts.partitions) {
    gauge("switchyard_kafka_consumergroup_partition_lag_messages", "Messages a consumer group is behind on one partition", ["cluster", "group", "topic", "partition"], (g, s) => {
      for (const p of s.partitions) if (p.messages !== null) g.set({ cluster: p.cluster, group: p.group, topic: p.topic, partition: String(p.partition) }, p.messages);
    });
    gauge("switchyard_kafka_consumergroup_partition_lag_seconds", "Age in seconds of the oldest unconsumed message on one partition", ["cluster", "group", "topic", "partition"], (g, s) => {
      for (const p of s.partitions) if (p.seconds !== null) g.set({ cluster: p.cluster, group: p.group, topic: p.topic, partition: String(p.partition) }, p.seconds);
    });
  }
  gauge("switchyard_rabbitmq_queue_messages_ready", "Messages ready in a queue at its latest poll", ["broker", "vhost", "queue"], (g, s) => {
    for (const q of s.queues) if (q.ready !== null) g.set({ broker: q.broker, vhost: q.vhost, queue: q.name }, q.ready);
  });
  gauge("switchyard_rabbitmq_queue_messages_unacked", "Messages delivered and not yet acknowledged in a queue", ["broker", "vhost", "queue"], (g, s) => {
    for (const q of s.queues) if (q.unacked !== null) g.set({ broker: q.broker, vhost: q.vhost, queue: q.name }, q.unacked);
  });
  gauge("switchyard_rabbitmq_queue_consumers", "Consumers of a queue", ["broker", "vhost", "queue"], (g, s) => {
    for (const q of s.queues) if (q.consumers !== null) g.set({ broker: q.broker, vhost: q.vhost, queue: q.name }, q.consumers);
  });
  gauge("switchyard_dead_letters", "Dead letters stored, by system, source (DLQ or DLT), reason and status", ["system", "source", "reason", "status"], (g, s) => {
    for (const d of s.deadLetters) g.set({ system: d.system, source: d.source, reason: d.reason, status: d.status }, d.count);
  });
  gauge("switchyard_workflows", "Workflows active in the last day, by name and state", ["name", "state"], (g, s) => {
    for (const w of s.workflows) g.set({ name: w.name, state: w.state }, w.count);
  });
  gauge("switchyard_workflows_stuck", "Workflows pending or running past WORKFLOW_STUCK_AFTER, by name", ["name"], (g, s) => {
    const byName = new Map<string, number>();
    for (const w of s.workflows) byName.set(w.name, (byName.get(w.name) ?? 0) + w.stuck);
    for (const [name, n] of byName) g.set({ name }, n);
  });
  gauge("switchyard_replay_items", "Items of the replays under way (pending, running or paused), by item status", ["status"], (g, s) => {
    for (const st of replayItemStatuses) g.set({ status: st }, s.replay.find((r) => r.status === st)?.count ?? 0);
  });
}
