import type { Metadata } from "next";
import Link from "next/link";
import { headers } from "next/headers";
import { pathHeader, sectionOf } from "./_server/paths";

export const metadata: Metadata = { title: { absolute: "Not found · Switchyard" } };

/** Every 404 of the pages: an unknown path, or a page whose group, queue, dead letter or trace does not exist. */
export default async function NotFound() {
  const path = (await headers()).get(pathHeader) ?? "/";
  const back = sectionOf(path);
  return (
    <section className="card" data-testid="error-page" data-status="404">
      <h1>Not found</h1>
      <p className="muted">Nothing is stored under this address: the link may be stale, or what it names was never seen or has expired.</p>
      <p>
        <Link href={back.href} data-testid="error-back">
          ← {back.label}
        </Link>
      </p>
    </section>
  );
}
