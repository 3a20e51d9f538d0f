import type { Metadata } from "next";
import { Suspense } from "react";
import { Loading } from "@/app/_components/query-state";
import { WorkflowList } from "./workflow-list";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: { absolute: "Workflows · Switchyard" } };

export default function WorkflowsPage() {
  return (
    <>
      <h1>Workflows</h1>
      <p className="muted">
        Every business transaction (an order, a payment) as one journey across traces, joined by parent and child, links and business keys, and where it stands: running, pending
        (published, not yet processed), retrying, failed, dead-lettered, compensated or completed. Pending or running for over the stuck limit is stuck.
      </p>
      <Suspense fallback={<Loading what="workflows" />}>
        <WorkflowList />
      </Suspense>
    </>
  );
}
