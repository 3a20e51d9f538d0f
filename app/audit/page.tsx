import type { Metadata } from "next";
import { Suspense } from "react";
import { Loading } from "@/app/_components/query-state";
import { AuditList } from "./audit-list";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: { absolute: "Audit · Switchyard" } };

export default function AuditPage() {
  return (
    <>
      <h1>Audit</h1>
      <p className="muted">Every change made through Switchyard, every sign-in and sign-out, and every refused request, newest first.</p>
      <Suspense fallback={<Loading what="the audit log" />}>
        <AuditList />
      </Suspense>
    </>
  );
}
