import amqp from "amqplib";
import type { RabbitBrokerConfig } from "../../lib/config/env";
import type { SourceDriver } from "../supervisor";
import { describeAmqpError, probeRabbitManagement } from "./probes";

import { CollectorProblem } from "./problem";

/**
 * A long-lived AMQP connection per configured broker (the dead-letter consumers will share it) plus the
 * management API, which the queue collector needs; the broker is healthy when both answer and the collectors' own
 * work on it (dead-letter capture) is not failing.
 */
export function rabbitDriver(broker: RabbitBrokerConfig, timeoutMs = 5000, problems: () => string | null = () => null): SourceDriver<amqp.ChannelModel> {
  return {
    system: "rabbitmq",
    name: broker.name,
    async connect() {
      const conn = await amqp.connect(broker.amqpUrl, { timeout: timeoutMs, clientProperties: { connection_name: "switchyard-collectors" } });
      // An 'error' event without a listener would crash the process; 'close' follows it and is handled by onLost.
      conn.on("error", () => undefined);
      return conn;
    },
    onLost(conn, lost) {
      conn.on("close", (err?: Error) => lost(new Error(err ? `connection closed: ${describeAmqpError(err)}` : "connection closed by the broker")));
    },
    async check(conn) {
      const ch = await conn.createChannel();
      await ch.close();
      const { version, totals } = await probeRabbitManagement(broker, timeoutMs);
      // the connection is fine, but something Switchyard does with it is not (dead-letter capture paused, ...)
      const problem = problems();
      if (problem) throw new CollectorProblem(problem);
      return { version, totals };
    },
    async close(conn) {
      await conn.close();
    },
    // a problem of Switchyard's own is reported as it is, not read as an AMQP error
    describeError: (e) => (e instanceof CollectorProblem ? e.message : describeAmqpError(e)),
  };
}
