import { Suspense } from "react";
import { QueueDetailView } from "./queue-detail";

export const dynamic = "force-dynamic";

export default async function QueuePage({ params }: { params: Promise<{ broker: string; vhost: string; name: string }> }) {
  const { broker, vhost, name } = await params;
  return (
    <Suspense fallback={<p className="muted">Loading…</p>}>
      <QueueDetailView broker={decodeURIComponent(broker)} vhost={decodeURIComponent(vhost)} name={decodeURIComponent(name)} />
    </Suspense>
  );
}
