import type { Metadata } from "next";
import { Suspense } from "react";
import { notFound } from "next/navigation";
import { Loading } from "@/app/_components/query-state";
import { WorkflowView } from "./workflow-view";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: { absolute: "Workflow · Switchyard" } };

export default async function WorkflowPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  if (!/^[1-9]\d{0,15}$/.test(id) || !Number.isSafeInteger(Number(id))) notFound();
  return (
    <Suspense fallback={<Loading what="the workflow" />}>
      <WorkflowView id={Number(id)} />
    </Suspense>
  );
}
