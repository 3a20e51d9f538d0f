"use client";

import "./globals.css";

/** When the root layout itself fails: a whole document of its own, in the app's look, with a way back. */
export default function GlobalError({ error, retry }: { error: unknown; retry: () => void }) {
  const digest = error instanceof Error ? (error as Error & { digest?: string }).digest : undefined;
  return (
    <html lang="en">
      <body>
        <title>Error · Switchyard</title>
        <header className="topbar">
          <a href="/" className="brand">
            Switchyard
          </a>
        </header>
        <main>
          <section className="card" data-testid="error-page" data-status="500">
            <h1>Something went wrong</h1>
            <p className="muted">Switchyard could not show this page. The server log has the details{digest ? ` (error ${digest})` : ""}.</p>
            <p>
              <button type="button" className="chip" onClick={() => retry()}>
                Try again
              </button>{" "}
              {/* a plain link: the app's router may be what failed */}
              <a href="/">← all systems</a>
            </p>
          </section>
        </main>
      </body>
    </html>
  );
}
