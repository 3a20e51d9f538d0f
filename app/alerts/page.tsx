import type { Metadata } from "next";
import { Suspense } from "react";
import { Loading } from "@/app/_components/query-state";
import { AlertsView } from "./alerts-view";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: { absolute: "Alerts · Switchyard" } };

export default function AlertsPage() {
  return (
    <>
      <h1>Alerts</h1>
      <p className="muted">
        Rules the collectors evaluate after their polls: a group&apos;s status or lag in seconds, dead letters arriving, stuck workflows, unhealthy sources, OTLP refusals. What fires goes to
        Alertmanager and the webhooks configured, and resolves when its condition clears.
      </p>
      <Suspense fallback={<Loading what="alerts" />}>
        <AlertsView />
      </Suspense>
    </>
  );
}
