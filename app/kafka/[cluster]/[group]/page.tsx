import { Suspense } from "react";
import { GroupDetail } from "./group-detail";

export const dynamic = "force-dynamic";

export default async function GroupPage({ params }: { params: Promise<{ cluster: string; group: string }> }) {
  const { cluster, group } = await params;
  return (
    <Suspense fallback={<p className="muted">Loading…</p>}>
      <GroupDetail cluster={decodeURIComponent(cluster)} group={decodeURIComponent(group)} />
    </Suspense>
  );
}
