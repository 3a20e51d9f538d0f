import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { Suspense } from "react";
import { Loading } from "@/app/_components/query-state";
import { AppLink } from "@/app/_components/time";
import { getReplay } from "@/lib/api/contracts/replays";
import { ReplayView } from "./replay-view";

export const dynamic = "force-dynamic";

interface Props {
  params: Promise<{ id: string }>;
}

/** The replay id of the URL, or null when the segment is not one (the page's 404). */
function idOf(segment: string): number | null {
  let text = segment;
  try {
    text = decodeURIComponent(segment);
  } catch {
    /* a stray %: not an id either way */
  }
  const id = getReplay.params.shape.id.safeParse(text);
  return id.success ? id.data : null;
}

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const id = idOf((await params).id);
  return { title: { absolute: id ? `Replay #${id} · Switchyard` : "Not found · Switchyard" } };
}

/** One replay: its state, plan, live progress, controls and items (all drawn by the client, which polls). */
export default async function ReplayPage({ params }: Props) {
  const id = idOf((await params).id);
  if (id === null) notFound();
  return (
    <>
      <p>
        <AppLink href="/replays">← all replays</AppLink>
      </p>
      <h1>Replay #{id}</h1>
      <Suspense fallback={<Loading what={`replay #${id}`} />}>
        <ReplayView id={id} />
      </Suspense>
    </>
  );
}
