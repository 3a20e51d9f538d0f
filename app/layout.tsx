import type { Metadata, Viewport } from "next";
import { Suspense, type ReactNode } from "react";
import { Nav, NavFallback } from "./_components/nav";
import { Providers } from "./providers";
import "./globals.css";

export const metadata: Metadata = {
  title: "Switchyard",
  description: "Consumer lag, dead letters, traces and workflows across Kafka and RabbitMQ",
};

export const viewport: Viewport = { width: "device-width", initialScale: 1 };

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <Providers>
          <header className="topbar">
            <Suspense fallback={<NavFallback />}>
              <Nav />
            </Suspense>
          </header>
          <main>{children}</main>
        </Providers>
      </body>
    </html>
  );
}
