"use client";

import Link from "next/link";

/** A page that failed on the server or in the browser: the app's own look, a retry, and a way back. */
export default function ErrorPage({ error, retry }: { error: unknown; retry: () => void }) {
  const digest = error instanceof Error ? (error as Error & { digest?: string }).digest : undefined;
  return (
    <section className="card" data-testid="error-page" data-status="500">
      <title>Error · Switchyard</title>
      <h1>Something went wrong</h1>
      <p className="muted">This page could not be shown. The server log has the details{digest ? ` (error ${digest})` : ""}.</p>
      <p>
        <button type="button" className="chip" onClick={() => retry()}>
          Try again
        </button>{" "}
        <Link href="/" data-testid="error-back">
          ← all systems
        </Link>
      </p>
    </section>
  );
}
