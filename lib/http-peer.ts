import { randomBytes } from "node:crypto";
import http from "node:http";
import https from "node:https";

/**
 * The header that carries a request's TCP peer address into Next.js handlers, which are not given the socket. It is
 * written on every request as it arrives, over whatever the client sent under the same name, as
 * `<nonce> <address>` with a nonce made once per process: a value without this process's nonce (a request that
 * arrived before the stamp was installed, a server the stamp does not reach, a client's own header) is no address,
 * so proxy-mode trust fails closed. `x-forwarded-for`, which Next.js fills only when the client left it out, is never
 * used for trust.
 */
export const peerHeader = "x-switchyard-peer";

const g = globalThis as unknown as { __switchyardPeerNonce?: string };

/** Once per process, before it serves: every HTTP(S) server of the process stamps each request with its peer address. */
export function stampPeerAddresses(): void {
  if (g.__switchyardPeerNonce) return;
  const nonce = randomBytes(18).toString("base64url");
  for (const Server of [http.Server, https.Server]) {
    const emit = Server.prototype.emit as (this: http.Server, e: string | symbol, ...a: unknown[]) => boolean;
    Server.prototype.emit = function (this: http.Server, event: string | symbol, ...args: unknown[]) {
      if (event === "request") {
        const req = args[0] as http.IncomingMessage;
        req.headers[peerHeader] = `${nonce} ${req.socket?.remoteAddress ?? ""}`;
      }
      return emit.call(this, event, ...args);
    } as typeof Server.prototype.emit;
  }
  g.__switchyardPeerNonce = nonce;
}

/** The peer address a request was stamped with by this process, or null when it was not (never trust it then). */
export function peerAddress(headers: Headers): string | null {
  const nonce = g.__switchyardPeerNonce;
  const v = headers.get(peerHeader);
  if (!nonce || !v) return null;
  const space = v.indexOf(" ");
  if (space < 0 || v.slice(0, space) !== nonce) return null;
  return v.slice(space + 1) || null;
}
