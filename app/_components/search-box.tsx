"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";
import type * as api from "@/lib/api/contracts/search";
import { searchDestination } from "@/lib/search";
import { fetchEndpoint } from "./fetch-json";
import { useAppHref } from "./time";

/**
 * The header's search box on every page: Enter asks GET /api/v1/search and opens the one exact match's page (a trace
 * id goes straight to its trace), else the results page, grouped by kind. Whatever was pasted stays text.
 */
export function SearchBox() {
  const router = useRouter();
  const href = useAppHref();
  const [q, setQ] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = async () => {
    const text = q.trim();
    if (!text || busy) return;
    setBusy(true);
    setError(null);
    try {
      const r = await fetchEndpoint<typeof api.search>("/api/v1/search", { query: { q: text } });
      router.push(href(searchDestination(text, r.results)));
    } catch (e) {
      // the results page says why (a NUL, too long): go there rather than leave the box silent
      setError(e instanceof Error ? e.message : String(e));
      router.push(href(`/search?${new URLSearchParams({ q: text })}`));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form
      className="search-box"
      role="search"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <input
        type="search"
        aria-label="Search"
        placeholder="trace, order id, message id, group…"
        value={q}
        maxLength={500}
        onChange={(e) => setQ(e.target.value)}
        title={error ?? "paste a trace id, span id, message id or key, an order id, a dead letter id, a group, topic or queue name"}
        data-testid="search-input"
      />
    </form>
  );
}
