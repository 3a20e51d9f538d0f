import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { cache, Suspense } from "react";
import { consumerGroupExists } from "@/app/_server/kafka";
import { GroupDetail } from "./group-detail";

export const dynamic = "force-dynamic";

interface Props {
  params: Promise<{ cluster: string; group: string }>;
}

/** The group of the URL, or null when the collectors never saw it: the page's 404. */
const groupOf = cache(async (cluster: string, group: string) => ((await consumerGroupExists(cluster, group)) ? { cluster, group } : null));

// Next hands generateMetadata its params decoded, but the page percent-encoded (next/dist/shared/lib/router/utils/
// get-dynamic-param.js encodes a page's params; lib/metadata/resolve-metadata.js passes the matched ones as they are).
export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const { cluster, group } = await params;
  const g = await groupOf(cluster, group);
  return { title: { absolute: g ? `Group ${g.group} · Consumer lag · Switchyard` : "Not found · Switchyard" } };
}

export default async function GroupPage({ params }: Props) {
  const raw = await params;
  const g = await groupOf(decodeURIComponent(raw.cluster), decodeURIComponent(raw.group));
  if (!g) notFound();
  const { cluster, group } = g;
  return (
    <Suspense fallback={<p className="muted">Loading…</p>}>
      <GroupDetail cluster={cluster} group={group} />
    </Suspense>
  );
}
