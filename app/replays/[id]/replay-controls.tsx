"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { sendJson } from "@/app/_components/fetch-json";
import { useMe } from "@/app/_components/me";
import type * as api from "@/lib/api/contracts/replays";
import type { ResponseOf } from "@/lib/api/endpoint";
import { replayTransition, type ReplayVerb } from "@/lib/replay-states";
type Replay = ResponseOf<typeof api.getReplay>;

const verbs: { verb: ReplayVerb; label: string; confirm?: (id: number) => string }[] = [
  { verb: "pause", label: "Pause" },
  { verb: "resume", label: "Resume" },
  { verb: "cancel", label: "Cancel", confirm: (id) => `Cancel replay #${id}? Messages not sent yet are not sent, and their dead letters get their status back.` },
];

/**
 * Pause, resume, cancel: only to a user who may replay (GET /api/v1/me), and only the verbs the replay's state allows.
 * The server decides in the end: a replay that moved on meanwhile answers 409, shown here as its message.
 */
export function ReplayControls({ replay }: { replay: Replay }) {
  const me = useMe();
  const client = useQueryClient();
  const act = useMutation({
    // an empty JSON object: the API takes a mutation's body only as JSON
    mutationFn: (verb: ReplayVerb) => sendJson<ResponseOf<typeof api.pauseReplay>>("POST", `/api/v1/replays/${replay.id}/${verb}`, {}),
    onSuccess: (r) => client.setQueryData(["replay", replay.id], r),
    onSettled: () => void client.invalidateQueries({ queryKey: ["replay", replay.id] }),
  });
  if (!me.data?.can.replay) return null;
  const allowed = verbs.filter((v) => replayTransition(replay.status, v.verb) !== null);
  if (allowed.length === 0 && !act.isError) return null;
  return (
    <p className="actions" data-testid="replay-controls">
      {allowed.map((v) => (
        <button
          key={v.verb}
          type="button"
          data-testid={`replay-${v.verb}`}
          disabled={act.isPending}
          onClick={() => {
            if (v.confirm && !window.confirm(v.confirm(replay.id))) return;
            act.mutate(v.verb);
          }}
        >
          {act.isPending && act.variables === v.verb ? `${v.label}…` : v.label}
        </button>
      ))}
      {act.isError ? (
        <span role="alert" className="error" data-testid="replay-control-error">
          {act.error.message}
        </span>
      ) : null}
    </p>
  );
}
