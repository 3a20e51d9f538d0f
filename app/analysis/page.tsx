import type { Metadata } from "next";
import { Suspense } from "react";
import { Loading } from "@/app/_components/query-state";
import { AnalysisView } from "./analysis-view";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: { absolute: "Analysis · Switchyard" } };

export default function AnalysisPage() {
  return (
    <>
      <h1>Analysis</h1>
      <p className="muted">
        Two questions the traces answer that no single trace does: which entry operations wait on a long chain of synchronous calls (the temporal coupling that turns one slow
        service into an outage), and which consumers processed the same message successfully more than once (a consumer that is not idempotent, or a rebalance replaying work).
      </p>
      <Suspense fallback={<Loading what="the analysis" />}>
        <AnalysisView />
      </Suspense>
    </>
  );
}
