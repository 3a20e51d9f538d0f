import type { Metadata } from "next";
import { Suspense } from "react";
import { Loading } from "@/app/_components/query-state";
import { ReplayList } from "./replay-list";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: { absolute: "Replays · Switchyard" } };

export default function ReplaysPage() {
  return (
    <>
      <h1>Replays</h1>
      <p className="muted">
        Dead letters sent back to their destination, newest first. A message counts as processed only when its consumer&apos;s span under the replay&apos;s span succeeded; a consumer that exports no spans leaves it
        confirmed, processing not observed.
      </p>
      <Suspense fallback={<Loading what="replays" />}>
        <ReplayList />
      </Suspense>
    </>
  );
}
