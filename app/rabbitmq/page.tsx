import type { Metadata } from "next";
import { Suspense } from "react";
import { QueuesOverview } from "./queues-overview";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: { absolute: "Queues · Switchyard" } };

export default function RabbitPage() {
  return (
    <>
      <h1>Queues</h1>
      <p className="muted">Every RabbitMQ queue: depth, rates, consumers, whether it drains, and where its dead letters go.</p>
      <Suspense fallback={<p className="muted">Loading…</p>}>
        <QueuesOverview />
      </Suspense>
    </>
  );
}
