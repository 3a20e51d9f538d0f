"use client";

import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { sendJson } from "@/app/_components/fetch-json";
import { useMe } from "@/app/_components/me";
import type { discardDeadLetters } from "@/lib/api/contracts/dead-letters";
import type { ResponseOf } from "@/lib/api/endpoint";
import { discardable } from "@/lib/dead-letters";

/** Discard one dead letter: shown only to a user whose role allows it (GET /api/v1/me), and only while it is discardable. */
export function DiscardButton({ id, status }: { id: number; status: string }) {
  const me = useMe();
  const router = useRouter();
  const m = useMutation({
    mutationFn: () => sendJson<ResponseOf<typeof discardDeadLetters>>("POST", "/api/v1/dead-letters/discard", { ids: [id] }),
    onSuccess: () => router.refresh(),
  });
  if (!me.data?.can.discard || !discardable(status)) return null;
  return (
    <p className="actions">
      <button
        type="button"
        data-testid="discard"
        disabled={m.isPending}
        onClick={() => {
          if (window.confirm(`Discard dead letter #${id}? It stays stored, marked discarded, and is never replayed.`)) m.mutate();
        }}
      >
        {m.isPending ? "Discarding…" : "Discard"}
      </button>
      {m.isError ? (
        <span role="alert" className="error">
          {" "}
          {m.error.message}
        </span>
      ) : null}
    </p>
  );
}
