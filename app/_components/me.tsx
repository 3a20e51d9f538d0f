"use client";

import { useMutation, useQuery } from "@tanstack/react-query";
import type { ResponseOf } from "@/lib/api/endpoint";
import type { getMe } from "@/lib/api/contracts/auth";
import { fetchJson, sendJson } from "./fetch-json";

export type Me = ResponseOf<typeof getMe>;

export const meQuery = {
  queryKey: ["me"] as const,
  queryFn: ({ signal }: { signal?: AbortSignal }) => fetchJson<Me>("/api/v1/me", signal),
  staleTime: 60_000,
};

/** Who the user is and what they may do (GET /api/v1/me): controls render only when `can` allows them. */
export function useMe() {
  return useQuery(meQuery);
}

/** Renders its children only when the signed-in user may do `what` (never a button that would answer 403). */
export function Can({ what, children }: { what: keyof Me["can"]; children: React.ReactNode }) {
  const me = useMe();
  return me.data?.can[what] ? <>{children}</> : null;
}

/** The header's right side: the auth mode when it matters, who is signed in, sign-out. */
export function Identity() {
  const me = useMe();
  const out = useMutation({
    mutationFn: () => sendJson<null>("DELETE", "/api/v1/session"),
    onSettled: () => window.location.assign("/sign-in"),
  });
  if (!me.data) return null;
  const { mode, role, user, via } = me.data;
  return (
    <div className="identity">
      {mode === "open" ? (
        <span className="open-mode" role="note" title="AUTH_MODE=open: nobody signs in">
          open mode: everyone is {role}
        </span>
      ) : (
        <span className="who">
          <span className="user">{user}</span> <span className="muted">({role})</span>
        </span>
      )}
      {via === "session" ? (
        <button type="button" className="link-button" onClick={() => out.mutate()} disabled={out.isPending}>
          Sign out
        </button>
      ) : null}
    </div>
  );
}
