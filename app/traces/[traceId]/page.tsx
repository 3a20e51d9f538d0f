import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { cache, Suspense } from "react";
import { traceIdParam, traceIsKnown } from "@/app/_server/traces";
import { TraceView } from "./trace-view";

export const dynamic = "force-dynamic";

interface Props {
  params: Promise<{ traceId: string }>;
}

/**
 * The trace id of the URL, or null when it is not a trace id or no span of it is stored: the page's 404 (checked with
 * one index probe; the trace itself is read by the client). Takes the
 * segment decoded: Next hands generateMetadata its params decoded, but the page percent-encoded.
 */
const knownTraceId = cache(async (segment: string): Promise<string | null> => {
  const parsed = traceIdParam.safeParse(segment);
  if (!parsed.success) return null;
  return (await traceIsKnown(parsed.data)) ? parsed.data : null;
});

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const traceId = await knownTraceId((await params).traceId);
  return { title: { absolute: traceId ? `Trace ${traceId.slice(0, 8)}… · Switchyard` : "Not found · Switchyard" } };
}

export default async function TracePage({ params }: Props) {
  const traceId = await knownTraceId(decodeURIComponent((await params).traceId));
  if (!traceId) notFound();
  return (
    <>
      <p>
        <Link href="/traces">← search traces</Link>
      </p>
      <h1>Trace {traceId}</h1>
      <Suspense fallback={<p className="muted">Loading…</p>}>
        <TraceView traceId={traceId} />
      </Suspense>
    </>
  );
}
