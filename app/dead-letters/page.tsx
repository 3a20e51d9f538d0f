import type { Metadata } from "next";
import { Suspense } from "react";
import { DeadLetterListView } from "./dead-letter-list";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: { absolute: "Dead letters · Switchyard" } };

export default function DeadLettersPage() {
  return (
    <>
      <h1>Dead letters</h1>
      <p className="muted">Everything captured from Kafka dead-letter topics and RabbitMQ dead-letter queues, newest first.</p>
      <Suspense fallback={<p className="muted">Loading…</p>}>
        <DeadLetterListView />
      </Suspense>
    </>
  );
}
