import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  reactStrictMode: true,
  // Broker and database clients run on the server only and are loaded from node_modules, not bundled.
  serverExternalPackages: ["kafkajs", "amqplib", "pg", "prom-client"],
  poweredByHeader: false,
  // Tests build into their own folder so they never clobber a running `npm run demo`.
  distDir: process.env.NEXT_DIST_DIR ?? ".next",
};

export default nextConfig;
