import { Kafka, logLevel, type Admin } from "kafkajs";
import type { KafkaClusterConfig } from "../../lib/config/env";
import type { SourceDriver } from "../supervisor";
import { describeKafkaError } from "./probes";
import { CollectorProblem } from "./problem";

/** A long-lived admin client per configured cluster; its health check is a real metadata request. */
export function kafkaDriver(cluster: KafkaClusterConfig, timeoutMs = 5000, problems: () => string | null = () => null): SourceDriver<Admin> {
  return {
    system: "kafka",
    name: cluster.name,
    async connect() {
      const kafka = new Kafka({
        clientId: "switchyard-collectors",
        brokers: cluster.brokers,
        connectionTimeout: timeoutMs,
        requestTimeout: timeoutMs,
        retry: { retries: 1, initialRetryTime: 200 },
        logLevel: logLevel.NOTHING,
      });
      const admin = kafka.admin();
      await admin.connect();
      return admin;
    },
    async check(admin) {
      const d = await admin.describeCluster();
      // the cluster answers, but something Switchyard does with it is not working (dead-letter capture paused, ...)
      const problem = problems();
      if (problem) throw new CollectorProblem(problem);
      return { brokers: d.brokers.length, controller: d.controller, clusterId: d.clusterId };
    },
    async close(admin) {
      await admin.disconnect();
    },
    describeError: (e) => (e instanceof CollectorProblem ? e.message : describeKafkaError(e)),
  };
}
