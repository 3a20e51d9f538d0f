"use client";

import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { sendJson } from "@/app/_components/fetch-json";
import type { ResponseOf } from "@/lib/api/endpoint";
import type { signIn } from "@/lib/api/contracts/auth";

export function SignInForm({ next }: { next: string }) {
  const [token, setToken] = useState("");
  const m = useMutation({
    mutationFn: (t: string) => sendJson<ResponseOf<typeof signIn>>("POST", "/api/v1/session", { token: t }),
    // a full load, so every query starts again as the signed-in user
    onSuccess: () => window.location.assign(next),
  });
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        if (token.trim()) m.mutate(token.trim());
      }}
    >
      <label>
        Token{" "}
        <input type="password" name="token" autoComplete="current-password" value={token} onChange={(e) => setToken(e.target.value)} autoFocus required />
      </label>{" "}
      <button type="submit" disabled={m.isPending}>
        {m.isPending ? "Signing in…" : "Sign in"}
      </button>
      {m.isError ? (
        <p role="alert" className="error">
          {m.error.message}
        </p>
      ) : null}
    </form>
  );
}
