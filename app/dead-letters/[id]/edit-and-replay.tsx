"use client";

import { useMutation, useQuery } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { fetchEndpoint, sendJson } from "@/app/_components/fetch-json";
import { Loading, QueryError } from "@/app/_components/query-state";
import { useAppHref } from "@/app/_components/time";
import type { getDeadLetter } from "@/lib/api/contracts/dead-letters";
import type * as api from "@/lib/api/contracts/replays";
import type { ResponseOf } from "@/lib/api/endpoint";
import { droppedBecause } from "@/lib/replay/headers";

type Detail = ResponseOf<typeof getDeadLetter>;
type Created = ResponseOf<typeof api.editAndReplay>;

/** The headers an edit starts from: the application's own (the rest are the broker's, the dead-lettering's or the replay's). */
function ownHeaders(headers: Record<string, unknown>) {
  const own: Record<string, unknown> = {};
  const reserved: { name: string; why: string }[] = [];
  for (const [k, v] of Object.entries(headers)) {
    const why = droppedBecause(k);
    if (why) reserved.push({ name: k, why });
    else own[k] = v;
  }
  return { own, reserved };
}

/** Edit and replay one dead letter: loads it whole from the API (the page shows only the start of a large payload). */
export function EditAndReplay({ id, onClose }: { id: number; onClose: () => void }) {
  const q = useQuery({
    queryKey: ["dead-letter", id],
    queryFn: ({ signal }) => fetchEndpoint<typeof getDeadLetter>("/api/v1/dead-letters/{id}", { params: { id: String(id) }, signal }),
    staleTime: Infinity,
    refetchOnWindowFocus: false,
    retry: false,
  });
  if (q.error) return <QueryError error={q.error} what={`dead letter #${id}`} />;
  if (!q.data) return <Loading what={`dead letter #${id}`} />;
  return <EditForm detail={q.data} onClose={onClose} />;
}

function EditForm({ detail, onClose }: { detail: Detail; onClose: () => void }) {
  const router = useRouter();
  const href = useAppHref();
  const { own, reserved } = ownHeaders(detail.headers);
  const originalHeaders = JSON.stringify(own, null, 2);
  const originalPayload = detail.payload.text;
  const [payload, setPayload] = useState(originalPayload ?? "");
  const [headers, setHeaders] = useState(originalHeaders);
  const [reason, setReason] = useState("");
  const [destination, setDestination] = useState("");
  const [force, setForce] = useState(false);
  const [invalid, setInvalid] = useState<string | null>(null);
  const send = useMutation({
    mutationFn: (body: Record<string, unknown>) => sendJson<Created>("POST", `/api/v1/dead-letters/${detail.id}/edit-and-replay`, body),
    onSuccess: (r) => router.push(href(`/replays/${r.id}`)),
  });
  const submit = () => {
    setInvalid(null);
    const body: Record<string, unknown> = {};
    if (originalPayload !== null && payload !== originalPayload) body.payload = { text: payload };
    if (headers.trim() !== originalHeaders.trim()) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(headers);
      } catch (e) {
        setInvalid(`headers: not JSON (${e instanceof Error ? e.message : String(e)})`);
        return;
      }
      if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) {
        setInvalid("headers: must be a JSON object of name: value");
        return;
      }
      if (JSON.stringify(parsed) !== JSON.stringify(own)) body.headers = parsed;
    }
    if (reason.trim()) body.reason = reason.trim();
    if (destination.trim()) body.destination = destination.trim();
    if (force) body.force = true;
    send.mutate(body);
  };
  return (
    <form
      className="edit-replay"
      aria-label="Edit and replay"
      data-testid="edit-form"
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      <div className="row">
        <strong>Edit and replay dead letter #{detail.id}</strong>{" "}
        <button type="button" className="link-button" onClick={onClose}>
          close
        </button>
      </div>
      <p className="muted small">The dead letter stays as it was captured; the replay sends the edited message, and the audit log records what changed.</p>
      {originalPayload === null ? (
        <p className="muted" data-testid="edit-binary">
          The payload is binary (not UTF-8 text), so it can&apos;t be edited as text here; it is sent as captured.
        </p>
      ) : (
        <label>
          payload (text)
          <textarea aria-label="Payload" value={payload} onChange={(e) => setPayload(e.target.value)} spellCheck={false} data-testid="edit-payload" />
        </label>
      )}
      {detail.payload.truncated ? (
        <p className="error small">Only the first {detail.payload.storedBytes.toLocaleString("en-US")} of {detail.payload.sizeBytes.toLocaleString("en-US")} bytes were stored at capture: a replay of it is refused.</p>
      ) : null}
      <label>
        application headers (JSON: name → text, number or true/false)
        <textarea aria-label="Headers" value={headers} onChange={(e) => setHeaders(e.target.value)} spellCheck={false} data-testid="edit-headers" />
      </label>
      {reserved.length > 0 ? (
        <p className="muted small" data-testid="edit-reserved">
          Not editable, and not sent as they are: {reserved.map((r) => r.name).join(", ")} (set by the broker, the dead-lettering or the replay).
        </p>
      ) : null}
      <div className="row">
        <label>
          reason <input aria-label="Reason for the edit" maxLength={500} size={40} value={reason} onChange={(e) => setReason(e.target.value)} data-testid="edit-reason" />
        </label>
        <label>
          destination <input aria-label="Destination" placeholder="its own" maxLength={500} size={28} value={destination} onChange={(e) => setDestination(e.target.value)} />
        </label>
        <label title="send even if it was replayed already, or replayed REPLAY_MAX_ATTEMPTS times">
          <input type="checkbox" checked={force} onChange={(e) => setForce(e.target.checked)} /> force
        </label>
        <button type="submit" disabled={send.isPending} data-testid="edit-send">
          {send.isPending ? "Starting…" : "Replay the edited message"}
        </button>
      </div>
      {invalid || send.isError ? (
        <p className="error" role="alert" data-testid="edit-error">
          {invalid ?? send.error?.message}
        </p>
      ) : null}
    </form>
  );
}
