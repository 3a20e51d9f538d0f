import type { Metadata } from "next";
import { Suspense } from "react";
import { GroupsOverview } from "./groups-overview";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: { absolute: "Consumer lag · Switchyard" } };

export default function KafkaPage() {
  return (
    <>
      <h1>Consumer lag</h1>
      <p className="muted">Every consumer group, worst first: lag in messages and in time, whether it is catching up, and when it will be done.</p>
      <Suspense fallback={<p className="muted">Loading…</p>}>
        <GroupsOverview />
      </Suspense>
    </>
  );
}
