import http from "node:http";

/**
 * The header that carries a request's TCP peer address into Next.js handlers, which are not given the socket. It is
 * set on every request as it arrives, over whatever the client sent under the same name, so it cannot be forged
 * (unlike `x-forwarded-for`, which Next.js only fills when the client left it out).
 */
export const peerHeader = "x-switchyard-peer";

const g = globalThis as unknown as { __switchyardPeerStamp?: boolean };

/** Once per process, before it serves: every HTTP server of the process stamps each request with its peer address. */
export function stampPeerAddresses(): void {
  if (g.__switchyardPeerStamp) return;
  g.__switchyardPeerStamp = true;
  const emit = http.Server.prototype.emit;
  http.Server.prototype.emit = function (this: http.Server, event: string | symbol, ...args: unknown[]) {
    if (event === "request") {
      const req = args[0] as http.IncomingMessage;
      req.headers[peerHeader] = req.socket?.remoteAddress ?? "";
    }
    return (emit as (this: http.Server, e: string | symbol, ...a: unknown[]) => boolean).call(this, event, ...args);
  } as typeof emit;
}
