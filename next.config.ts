import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  reactStrictMode: true,
  // Broker and database clients run on the server only and are loaded from node_modules, not bundled.
  serverExternalPackages: ["kafkajs", "amqplib", "pg", "prom-client"],
  poweredByHeader: false,
};

export default nextConfig;
