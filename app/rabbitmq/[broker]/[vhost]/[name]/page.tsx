import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { cache, Suspense } from "react";
import { queueExists } from "@/app/_server/rabbitmq";
import { QueueDetailView } from "./queue-detail";

export const dynamic = "force-dynamic";

interface Props {
  params: Promise<{ broker: string; vhost: string; name: string }>;
}

/** The queue of the URL, or null when the collectors never saw it: the page's 404. */
const queueOf = cache(async (broker: string, vhost: string, name: string) => ((await queueExists(broker, vhost, name)) ? { broker, vhost, name } : null));

// Next hands generateMetadata its params decoded ("/" for %2F), but the page percent-encoded (next/dist/shared/lib/
// router/utils/get-dynamic-param.js encodes a page's params; lib/metadata/resolve-metadata.js passes them as matched).
export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const { broker, vhost, name } = await params;
  const q = await queueOf(broker, vhost, name);
  return { title: { absolute: q ? `Queue ${q.name} · Switchyard` : "Not found · Switchyard" } };
}

export default async function QueuePage({ params }: Props) {
  const raw = await params;
  const q = await queueOf(decodeURIComponent(raw.broker), decodeURIComponent(raw.vhost), decodeURIComponent(raw.name));
  if (!q) notFound();
  const { broker, vhost, name } = q;
  return (
    <Suspense fallback={<p className="muted">Loading…</p>}>
      <QueueDetailView broker={broker} vhost={vhost} name={name} />
    </Suspense>
  );
}
