"use client";

import { useState } from "react";
import { useMe } from "@/app/_components/me";
import { ReplayPanel } from "../replay-panel";
import { EditAndReplay } from "./edit-and-replay";

/**
 * The message view's replay controls: Replay… (the plan first, then the rate) and Edit and replay (payload and
 * application headers). Only for who may replay; editing also needs `editMessages`.
 */
export function ReplayActions({ id }: { id: number }) {
  const me = useMe();
  const [open, setOpen] = useState<"replay" | "edit" | null>(null);
  if (!me.data?.can.replay) return null;
  const canEdit = me.data.can.editMessages;
  return (
    <>
      <p className="actions">
        <button type="button" data-testid="replay-one" aria-expanded={open === "replay"} onClick={() => setOpen(open === "replay" ? null : "replay")}>
          Replay…
        </button>
        {canEdit ? (
          <button type="button" data-testid="edit-and-replay" aria-expanded={open === "edit"} onClick={() => setOpen(open === "edit" ? null : "edit")}>
            Edit and replay…
          </button>
        ) : null}
      </p>
      {open === "replay" ? <ReplayPanel selection={{ ids: [id] }} onClose={() => setOpen(null)} /> : null}
      {open === "edit" && canEdit ? <EditAndReplay id={id} onClose={() => setOpen(null)} /> : null}
    </>
  );
}
