import type { Metadata } from "next";
import Link from "next/link";
import { serverContext } from "@/app/_server/context";
import { safeNextPath } from "@/lib/safe-next";
import { SignInForm } from "./sign-in-form";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: { absolute: "Sign in · Switchyard" } };

export default async function SignInPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { config } = serverContext();
  const raw = (await searchParams).next;
  const next = safeNextPath(typeof raw === "string" ? raw : null);
  return (
    <section className="sign-in">
      <h1>Sign in</h1>
      {config.AUTH_MODE === "token" ? (
        <>
          <p className="muted">Paste the token you were given (AUTH_TOKENS). Scripts send it as <code>Authorization: Bearer &lt;token&gt;</code> instead.</p>
          <SignInForm next={next} />
        </>
      ) : config.AUTH_MODE === "open" ? (
        <p>
          This dashboard runs in open mode: nobody signs in and everyone is {config.AUTH_OPEN_ROLE}. <Link href={next}>Continue</Link>
        </p>
      ) : (
        <p>
          This dashboard takes your identity from its reverse proxy, and this request did not carry one from a trusted address. Open the dashboard
          through the proxy&apos;s address.
        </p>
      )}
    </section>
  );
}
