/**
 * Runs once when a dashboard server starts (Next.js calls `register` before it serves a request): a bad configuration
 * stops it there with the message naming the variable (exit 78, like the collectors), instead of on the first
 * request, after the server had already said it was ready. It also stamps every request with its peer address
 * (lib/http-peer.ts), which proxy-mode authentication needs.
 */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== "nodejs" || process.env.NEXT_PHASE === "phase-production-build") return;
  const { loadConfig } = await import("./lib/config/env");
  loadConfig();
  // proxy mode trusts identity headers only from AUTH_PROXY_TRUSTED addresses: the peer address must be the socket's
  const { stampPeerAddresses } = await import("./lib/http-peer");
  stampPeerAddresses();
}
