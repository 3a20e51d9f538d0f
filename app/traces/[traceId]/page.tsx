import Link from "next/link";
import { notFound } from "next/navigation";
import { Suspense } from "react";
import { traceIdParam } from "@/app/_server/traces";
import { TraceView } from "./trace-view";

export const dynamic = "force-dynamic";

export default async function TracePage({ params }: { params: Promise<{ traceId: string }> }) {
  const parsed = traceIdParam.safeParse((await params).traceId);
  if (!parsed.success) notFound();
  return (
    <>
      <p>
        <Link href="/traces">← search traces</Link>
      </p>
      <h1>Trace {parsed.data}</h1>
      <Suspense fallback={<p className="muted">Loading…</p>}>
        <TraceView traceId={parsed.data} />
      </Suspense>
    </>
  );
}
