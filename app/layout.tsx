import type { Metadata } from "next";
import type { ReactNode } from "react";
import { Providers } from "./providers";
import "./globals.css";

export const metadata: Metadata = {
  title: "Switchyard",
  description: "Consumer lag, dead letters, traces and workflows across Kafka and RabbitMQ",
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <header className="topbar">
          <a href="/" className="brand">
            Switchyard
          </a>
          <nav className="nav">
            <a href="/">Systems</a>
            <a href="/kafka">Consumer lag</a>
            <a href="/rabbitmq">Queues</a>
            <a href="/dead-letters">Dead letters</a>
            <a href="/traces">Traces</a>
          </nav>
        </header>
        <Providers>
          <main>{children}</main>
        </Providers>
      </body>
    </html>
  );
}
