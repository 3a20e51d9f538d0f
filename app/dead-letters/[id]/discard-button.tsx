"use client";

import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { sendJson } from "@/app/_components/fetch-json";
import { useMe } from "@/app/_components/me";
import type { discardDeadLetters } from "@/lib/api/contracts/dead-letters";
import type { ResponseOf } from "@/lib/api/endpoint";
import { discardable, restorable } from "@/lib/dead-letters";

type Change = ResponseOf<typeof discardDeadLetters>;

/**
 * Discard one dead letter (with a reason) or restore a discarded one: shown only to a user whose role allows it
 * (GET /api/v1/me), and only when the status allows it.
 */
export function DiscardButton({ id, status }: { id: number; status: string }) {
  const me = useMe();
  const router = useRouter();
  const m = useMutation({
    mutationFn: (a: { verb: "discard" | "restore"; reason?: string }) =>
      sendJson<Change>("POST", `/api/v1/dead-letters/${a.verb}`, a.verb === "discard" ? { ids: [id], reason: a.reason } : { ids: [id] }),
    onSuccess: () => router.refresh(),
  });
  if (!me.data?.can.discard || !(discardable(status) || restorable(status))) return null;
  return (
    <p className="actions">
      {discardable(status) ? (
        <button
          type="button"
          data-testid="discard"
          disabled={m.isPending}
          onClick={() => {
            const reason = window.prompt(`Discard dead letter #${id}? It stays stored, marked discarded, and is never replayed. Why?`);
            if (reason?.trim()) m.mutate({ verb: "discard", reason: reason.trim().slice(0, 500) });
          }}
        >
          {m.isPending ? "Discarding…" : "Discard"}
        </button>
      ) : (
        <button type="button" data-testid="restore" disabled={m.isPending} onClick={() => m.mutate({ verb: "restore" })}>
          {m.isPending ? "Restoring…" : "Restore"}
        </button>
      )}
      {m.isError ? (
        <span role="alert" className="error">
          {" "}
          {m.error.message}
        </span>
      ) : null}
    </p>
  );
}
