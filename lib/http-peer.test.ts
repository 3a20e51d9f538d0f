import http from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { peerAddress, peerHeader, stampPeerAddresses } from "./http-peer";

describe("peer address stamp", () => {
  it("trusts no header before the stamp is installed, then only its own, whatever the client sends", async () => {
    expect(peerAddress(new Headers({ [peerHeader]: "127.0.0.1" }))).toBeNull();
    stampPeerAddresses();
    const server = http.createServer((req, res) => {
      const h = new Headers(req.headers as Record<string, string>);
      res.end(JSON.stringify({ peer: peerAddress(h) }));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const port = (server.address() as AddressInfo).port;
      const got = await new Promise<string>((resolve, reject) => {
        http
          .get({ host: "127.0.0.1", port, localAddress: "127.0.0.3", headers: { [peerHeader]: "nonce 10.0.0.5" } }, (res) => {
            let b = "";
            res.on("data", (d) => (b += d));
            res.on("end", () => resolve(b));
          })
          .on("error", reject);
      });
      expect(JSON.parse(got)).toEqual({ peer: "127.0.0.3" });
      // a value written by anyone but this process's stamp
      expect(peerAddress(new Headers({ [peerHeader]: "nonce 10.0.0.5" }))).toBeNull();
      expect(peerAddress(new Headers({ [peerHeader]: "10.0.0.5" }))).toBeNull();
    } finally {
      server.close();
    }
  });
});
