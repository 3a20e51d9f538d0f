import type { Metadata } from "next";
import { Suspense } from "react";
import { TraceSearchView } from "./trace-search";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: { absolute: "Traces · Switchyard" } };

export default function TracesPage() {
  return (
    <>
      <h1>Traces</h1>
      <p className="muted">Requests across services, HTTP and messaging hops alike. Paste a trace id, or search.</p>
      <Suspense fallback={<p className="muted">Loading…</p>}>
        <TraceSearchView />
      </Suspense>
    </>
  );
}
