import type { z } from "zod";
import type { replayPlanSchema } from "@/lib/api/contracts/replays";
import { skipReasonText } from "@/lib/replay/plan";

export type ReplayPlan = z.output<typeof replayPlanSchema>;

/** A replay's plan: how many go where, and how many are skipped for which reason. Destinations are text. */
export function PlanTables({ plan }: { plan: ReplayPlan }) {
  const sendable = plan.byDestination.reduce((a, d) => a + d.count, 0);
  return (
    <div className="replay-plan" data-testid="replay-plan">
      <p>
        <strong data-testid="plan-total">{plan.total.toLocaleString("en-US")}</strong> dead letter{plan.total === 1 ? "" : "s"} selected:{" "}
        <strong data-testid="plan-sendable">{sendable.toLocaleString("en-US")}</strong> to send,{" "}
        <strong data-testid="plan-skipped">{(plan.total - sendable).toLocaleString("en-US")}</strong> skipped.
      </p>
      {plan.byDestination.length > 0 ? (
        <div className="table-scroll">
          <table className="grid-table" data-testid="plan-destinations">
            <thead>
              <tr>
                <th>System</th>
                <th>Destination</th>
                <th className="num">Messages</th>
              </tr>
            </thead>
            <tbody>
              {plan.byDestination.map((d, i) => (
                <tr key={`${d.system}-${d.destination}-${i}`}>
                  <td>{d.system === "kafka" ? "Kafka" : "RabbitMQ"}</td>
                  <td className="dl-name" title={d.destination}>
                    {d.destination}
                  </td>
                  <td className="num">{d.count.toLocaleString("en-US")}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {plan.skipped.length > 0 ? (
        <div className="table-scroll">
          <table className="grid-table" data-testid="plan-skipped-reasons">
            <thead>
              <tr>
                <th>Skipped because</th>
                <th className="num">Messages</th>
              </tr>
            </thead>
            <tbody>
              {plan.skipped.map((s) => (
                <tr key={s.reason} data-reason={s.reason}>
                  <td>{skipReasonText[s.reason]}</td>
                  <td className="num">{s.count.toLocaleString("en-US")}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </div>
  );
}
