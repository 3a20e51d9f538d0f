"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { sendJson } from "@/app/_components/fetch-json";
import type { discardDeadLetters } from "@/lib/api/contracts/dead-letters";
import type * as api from "@/lib/api/contracts/replays";
import type { ResponseOf } from "@/lib/api/endpoint";
import type { FilterBody, Selection } from "./filter-body";
import { ReplayPanel } from "./replay-panel";

type Change = ResponseOf<typeof discardDeadLetters>;

/** The API takes at most this many ids in one selection; more is "everything matching the filter". */
export const maxIds = 1000;

export interface ListSelection {
  ids: number[];
  /** "select all N matching": the filter, not the ids */
  allMatching: boolean;
}

/**
 * How many dead letters the filter matches, from a dry-run plan of it (plan.total): asked only once the whole page is
 * selected and there is more than the page, and only by who may replay (a dry run needs that role).
 */
export function useMatchingCount(filter: FilterBody, enabled: boolean) {
  return useQuery({
    queryKey: ["replay-plan-count", JSON.stringify(filter)],
    queryFn: () => sendJson<ResponseOf<typeof api.createReplay>>("POST", "/api/v1/replays", { filter, dryRun: true }).then((r) => r.plan.total),
    enabled,
    staleTime: 30_000,
    retry: false,
    refetchOnWindowFocus: false,
  });
}

/**
 * What the list's selection can be done with: Replay… (the replay panel, for the ids or the filter) and Discard
 * (a reason is required), each only to who may do it; the outcome of the last discard stays in view.
 */
export function SelectionActions({ selection, filter, count, canReplay, canDiscard, onDone }: { selection: ListSelection; filter: FilterBody; count: number | null; canReplay: boolean; canDiscard: boolean; onDone: () => void }) {
  const client = useQueryClient();
  const [open, setOpen] = useState<"replay" | "discard" | null>(null);
  const [reason, setReason] = useState("");
  const target: Selection | null = selection.allMatching ? { filter } : selection.ids.length > 0 && selection.ids.length <= maxIds ? { ids: selection.ids } : null;
  const discard = useMutation({
    mutationFn: (s: Selection & { reason: string }) => sendJson<Change>("POST", "/api/v1/dead-letters/discard", s),
    onSuccess: () => {
      setOpen(null);
      setReason("");
      onDone();
    },
    onSettled: () => void client.invalidateQueries(),
  });
  const n = selection.allMatching ? count : selection.ids.length;
  return (
    <div className="selection-bar" data-testid="selection-bar">
      <span data-testid="selection-count">
        {selection.allMatching ? `all ${n === null ? "" : `${n.toLocaleString("en-US")} `}matching the filter` : selection.ids.length === 0 ? "none selected" : `${selection.ids.length.toLocaleString("en-US")} selected`}
      </span>
      {!selection.allMatching && selection.ids.length > maxIds ? <span className="error">At most {maxIds.toLocaleString("en-US")} by id: select all matching the filter instead.</span> : null}
      {canReplay ? (
        <button type="button" data-testid="replay-selection" disabled={target === null} aria-expanded={open === "replay"} onClick={() => setOpen(open === "replay" ? null : "replay")}>
          Replay…
        </button>
      ) : null}
      {canDiscard ? (
        <button type="button" data-testid="discard-selection" disabled={target === null} aria-expanded={open === "discard"} onClick={() => setOpen(open === "discard" ? null : "discard")}>
          Discard…
        </button>
      ) : null}
      {selection.allMatching || selection.ids.length > 0 ? (
        <button type="button" className="link-button" onClick={onDone}>
          clear
        </button>
      ) : null}
      {open === "replay" && target ? <ReplayPanel key={JSON.stringify(target)} selection={target} onClose={() => setOpen(null)} /> : null}
      {open === "discard" && target ? (
        <form
          className="row"
          onSubmit={(e) => {
            e.preventDefault();
            if (reason.trim()) discard.mutate({ ...target, reason: reason.trim().slice(0, 500) });
          }}
        >
          <label>
            why{" "}
            <input aria-label="Reason for discarding" required maxLength={500} size={40} value={reason} onChange={(e) => setReason(e.target.value)} placeholder="they stay stored, can be restored, and are never replayed" data-testid="discard-reason" />
          </label>
          <button type="submit" disabled={!reason.trim() || discard.isPending} data-testid="discard-confirm">
            {discard.isPending ? "Discarding…" : `Discard ${n === null ? "them" : n.toLocaleString("en-US")}`}
          </button>
        </form>
      ) : null}
      {discard.isError ? (
        <span role="alert" className="error" data-testid="discard-error">
          {discard.error.message}
        </span>
      ) : null}
      {discard.isSuccess ? (
        <span role="status" className="muted" data-testid="discard-result">
          discarded {discard.data.changed.toLocaleString("en-US")}
          {discard.data.skipped ? `, ${discard.data.skipped.toLocaleString("en-US")} skipped (their status forbids it)` : ""}
        </span>
      ) : null}
    </div>
  );
}
