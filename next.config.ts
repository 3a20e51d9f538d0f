import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  reactStrictMode: true,
  // Broker and database clients run on the server only and are loaded from node_modules, not bundled.
  serverExternalPackages: ["kafkajs", "amqplib", "pg", "prom-client"],
  poweredByHeader: false,
  // Tests build into their own folder so they never clobber a running `npm run demo`.
  distDir: process.env.NEXT_DIST_DIR ?? ".next",
  // no image optimizer: the dashboard has no images, and its endpoint fetched internal pages on request
  images: { unoptimized: true },
  async headers() {
    return [
      {
        // no page of the dashboard may be framed by another site (a framed Discard button is one click from a replay)
        source: "/:path*",
        headers: [
          { key: "X-Frame-Options", value: "DENY" },
          { key: "Content-Security-Policy", value: "frame-ancestors 'none'" },
          { key: "X-Content-Type-Options", value: "nosniff" },
          { key: "Referrer-Policy", value: "same-origin" },
        ],
      },
    ];
  },
};

export default nextConfig;
