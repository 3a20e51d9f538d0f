import { dehydrate, HydrationBoundary, QueryClient } from "@tanstack/react-query";
import { AttentionPanel } from "./_components/attention-panel";
import { HealthPanel } from "./_components/health-panel";
import { healthQuery } from "./_components/queries";
import { getHealth } from "./_server/health";
import type { Metadata } from "next";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: { absolute: "Systems · Switchyard" } };

export default async function Home() {
  const qc = new QueryClient();
  await qc.prefetchQuery({ queryKey: healthQuery.queryKey, queryFn: getHealth });
  return (
    <>
      <h1>Systems</h1>
      <AttentionPanel />
      <h2>Sources</h2>
      <p className="muted">Every configured Kafka cluster and RabbitMQ broker, the database, and the trace receiver, as the collectors last saw them.</p>
      <HydrationBoundary state={dehydrate(qc)}>
        <HealthPanel />
      </HydrationBoundary>
    </>
  );
}
