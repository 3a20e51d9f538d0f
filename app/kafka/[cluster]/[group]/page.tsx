import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { cache, Suspense } from "react";
import { consumerGroupExists } from "@/app/_server/kafka";
import { GroupDetail } from "./group-detail";

export const dynamic = "force-dynamic";

interface Props {
  params: Promise<{ cluster: string; group: string }>;
}

/**
 * The group of the URL (Next hands pages their path segments still percent-encoded; route handlers get them decoded),
 * or null when the collectors never saw it: the page's 404.
 */
async function knownGroup({ params }: Props) {
  const { cluster, group } = await params;
  return groupOf(decodeURIComponent(cluster), decodeURIComponent(group));
}
const groupOf = cache(async (cluster: string, group: string) => ((await consumerGroupExists(cluster, group)) ? { cluster, group } : null));

export async function generateMetadata(props: Props): Promise<Metadata> {
  const g = await knownGroup(props);
  return { title: { absolute: g ? `Group ${g.group} · Consumer lag · Switchyard` : "Not found · Switchyard" } };
}

export default async function GroupPage(props: Props) {
  const g = await knownGroup(props);
  if (!g) notFound();
  const { cluster, group } = g;
  return (
    <Suspense fallback={<p className="muted">Loading…</p>}>
      <GroupDetail cluster={cluster} group={group} />
    </Suspense>
  );
}
