"use client";

import { useMutation, useQuery } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { sendJson } from "@/app/_components/fetch-json";
import { useAppHref } from "@/app/_components/time";
import { PlanTables } from "@/app/replays/plan-tables";
import type * as api from "@/lib/api/contracts/replays";
import type { ResponseOf } from "@/lib/api/endpoint";
import { selectionText, type Selection } from "./filter-body";

type Created = ResponseOf<typeof api.createReplay>;

/** The rate a replay is sent at unless the operator types another (the API's default too). */
export const defaultRate = 50;

/** A whole number of messages a second, at least 1; null for anything else. */
function rateOf(text: string): number | null {
  if (!/^[0-9]{1,7}$/.test(text.trim())) return null;
  const n = Number(text.trim());
  return n >= 1 ? n : null;
}

/**
 * Replay a selection (ids, a failure group, or everything matching a filter): first a dry run shows the plan (how many
 * go where, which are skipped and why), planned again when force changes or a typed destination is planned (Enter or
 * "Plan again": nothing is sent for a plan not shown); then the operator sets
 * the rate and sends, and is taken to the replay's page. Shown only to who may replay (the caller checks `can.replay`).
 */
export function ReplayPanel({ selection, onClose }: { selection: Selection; onClose: () => void }) {
  const router = useRouter();
  const href = useAppHref();
  const [rate, setRate] = useState(String(defaultRate));
  const [destination, setDestination] = useState("");
  const [planned, setPlanned] = useState({ destination: "", force: false });
  const [keepPartition, setKeepPartition] = useState(false);
  const key = JSON.stringify(selection);
  const target = planned.destination.trim();
  const plan = useQuery({
    queryKey: ["replay-plan", key, target, planned.force],
    queryFn: () => sendJson<Created>("POST", "/api/v1/replays", { ...selection, dryRun: true, ...(target ? { destination: target } : {}), ...(planned.force ? { force: true } : {}) }),
    staleTime: Infinity,
    gcTime: 0,
    retry: false,
    refetchOnWindowFocus: false,
  });
  const create = useMutation({
    mutationFn: (ratePerSecond: number) =>
      sendJson<Created>("POST", "/api/v1/replays", {
        ...selection,
        ratePerSecond,
        ...(target ? { destination: target } : {}),
        ...(planned.force ? { force: true } : {}),
        ...(keepPartition ? { keepPartition: true } : {}),
        // exactly the dead letters of the plan shown: ones captured since are left out
        ...(plan.data?.plan.throughId ? { throughId: plan.data.plan.throughId } : {}),
      }),
    onSuccess: (r) => router.push(href(`/replays/${r.id}`)),
  });
  const sendable = plan.data ? plan.data.plan.byDestination.reduce((a, d) => a + d.count, 0) : 0;
  const ratePerSecond = rateOf(rate);
  const stale = destination.trim() !== target;
  const hasKafka = plan.data?.plan.byDestination.some((d) => d.system === "kafka") ?? false;
  return (
    <section className="replay-panel" aria-label="Replay" data-testid="replay-panel">
      <div className="row">
        <strong>Replay {selectionText(selection)}</strong>
        <button type="button" className="link-button" onClick={onClose} data-testid="replay-panel-close">
          close
        </button>
      </div>
      {plan.isPending ? (
        <p className="muted" aria-busy="true">
          Planning (a dry run: nothing is sent)…
        </p>
      ) : plan.isError ? (
        <p className="error" role="alert" data-testid="replay-plan-error">
          {plan.error.message}
        </p>
      ) : (
        <>
          <p className="muted small">Dry run #{plan.data.id}: nothing was sent.</p>
          <PlanTables plan={plan.data.plan} />
        </>
      )}
      <form
        className="row"
        onSubmit={(e) => {
          // Enter plans again; only the button sends
          e.preventDefault();
          setPlanned((p) => ({ ...p, destination }));
        }}
      >
        <label>
          rate
          <input aria-label="Rate (messages per second)" inputMode="numeric" size={7} value={rate} onChange={(e) => setRate(e.target.value)} aria-invalid={ratePerSecond === null} data-testid="replay-rate" />
          <span className="muted small">messages/s</span>
        </label>
        <label>
          destination
          <input
            aria-label="Destination"
            placeholder="each one's own (or: topic, queue, exchange / routing key)"
            size={36}
            maxLength={500}
            value={destination}
            onChange={(e) => setDestination(e.target.value)}
            data-testid="replay-destination"
          />
        </label>
        <label title="send again what was replayed already, or replayed REPLAY_MAX_ATTEMPTS times">
          <input type="checkbox" checked={planned.force} onChange={(e) => setPlanned({ destination, force: e.target.checked })} data-testid="replay-force" /> force
        </label>
        {hasKafka ? (
          <label title="Kafka: send each record to the partition it was read from (else its key decides)">
            <input type="checkbox" checked={keepPartition} onChange={(e) => setKeepPartition(e.target.checked)} /> keep partition
          </label>
        ) : null}
        {stale ? (
          <button type="submit" data-testid="replay-replan" title="the plan above is for the destination before">
            Plan again
          </button>
        ) : null}
        <button
          type="button"
          data-testid="replay-send"
          disabled={stale || !plan.data || plan.isFetching || sendable === 0 || ratePerSecond === null || create.isPending}
          onClick={() => {
            if (!stale && ratePerSecond !== null && sendable > 0) create.mutate(ratePerSecond);
          }}
        >
          {create.isPending ? "Starting…" : `Replay ${sendable.toLocaleString("en-US")} message${sendable === 1 ? "" : "s"}`}
        </button>
      </form>
      {ratePerSecond === null ? <p className="error small">The rate is a whole number of messages a second, at least 1.</p> : null}
      {create.isError ? (
        <p className="error" role="alert" data-testid="replay-create-error">
          {create.error.message}
        </p>
      ) : null}
    </section>
  );
}
