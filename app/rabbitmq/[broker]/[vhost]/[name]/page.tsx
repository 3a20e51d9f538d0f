import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { cache, Suspense } from "react";
import { queueExists } from "@/app/_server/rabbitmq";
import { QueueDetailView } from "./queue-detail";

export const dynamic = "force-dynamic";

interface Props {
  params: Promise<{ broker: string; vhost: string; name: string }>;
}

/**
 * The queue of the URL (Next hands pages their path segments still percent-encoded, "/" as %2F; route handlers get
 * them decoded), or null when the collectors never saw it: the page's 404.
 */
async function knownQueue({ params }: Props) {
  const { broker, vhost, name } = await params;
  return queueOf(decodeURIComponent(broker), decodeURIComponent(vhost), decodeURIComponent(name));
}
const queueOf = cache(async (broker: string, vhost: string, name: string) => ((await queueExists(broker, vhost, name)) ? { broker, vhost, name } : null));

export async function generateMetadata(props: Props): Promise<Metadata> {
  const q = await knownQueue(props);
  return { title: { absolute: q ? `Queue ${q.name} · Switchyard` : "Not found · Switchyard" } };
}

export default async function QueuePage(props: Props) {
  const q = await knownQueue(props);
  if (!q) notFound();
  const { broker, vhost, name } = q;
  return (
    <Suspense fallback={<p className="muted">Loading…</p>}>
      <QueueDetailView broker={broker} vhost={vhost} name={name} />
    </Suspense>
  );
}
