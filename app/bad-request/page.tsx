import type { Metadata } from "next";
import Link from "next/link";
import { headers } from "next/headers";
import { notFound } from "next/navigation";
import { badRequestHeader, pathHeader, sectionOf } from "@/app/_server/paths";

export const dynamic = "force-dynamic";

export async function generateMetadata(): Promise<Metadata> {
  return { title: { absolute: (await headers()).get(badRequestHeader) ? "Bad request · Switchyard" : "Not found · Switchyard" } };
}

/**
 * What proxy.ts shows, with status 400, for a URL that cannot be routed (a malformed percent-encoding, a NUL). Not a
 * page of its own: opened directly, without the proxy's header, it is not found.
 */
export default async function BadRequestPage() {
  const h = await headers();
  const reason = h.get(badRequestHeader);
  if (!reason) notFound();
  const back = sectionOf(h.get(pathHeader) ?? "/");
  return (
    <section className="card" data-testid="error-page" data-status="400">
      <h1>Bad request</h1>
      <p className="muted">This address cannot be read: {reason === "nul" ? "it contains a NUL character" : "its percent-encoding is malformed"}. Was it cut short or edited by hand?</p>
      <p>
        <Link href={back.href} data-testid="error-back">
          ← {back.label}
        </Link>
      </p>
    </section>
  );
}
