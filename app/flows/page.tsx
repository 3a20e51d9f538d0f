import type { Metadata } from "next";
import { Suspense } from "react";
import { Loading } from "@/app/_components/query-state";
import { FlowMap } from "./flow-map";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: { absolute: "Event flows · Switchyard" } };

export default function FlowsPage() {
  return (
    <>
      <h1>Event flows</h1>
      <p className="muted">
        Who calls whom, who publishes to which topic or exchange, who consumes it, where it backs up and where it dies: from the spans, lag, queue depths and
        dead letters Switchyard collects. Each edge says how it couples (sync or async) and what it means (query, command or event).
      </p>
      <Suspense fallback={<Loading what="the flow map" />}>
        <FlowMap />
      </Suspense>
    </>
  );
}
