/**
 * ALPN on the server's TLS handshake: "h2" preferred, "http/1.1" offered beside it for
 * browsers unless turned off, a client with no ALPN served HTTP/1.1, and a client the
 * server cannot serve refused during the handshake.
 */
import * as net from "node:net";
import * as tls from "node:tls";
import { describe, expect, it } from "vitest";
import { tlsServerCredentials, type TlsServerCredentialsOptions } from "../src/index.js";
import { open, pki, useLoopback } from "./loopback.js";

useLoopback();

interface Outcome {
  /** What the server's handshake reported, or its error. */
  readonly server: string;
  /** The protocol the client's socket agreed on (false: none), or its error. */
  readonly client: string | false | null;
}

/** Runs the server credentials' handshake against a node:tls client offering `offer` (none when undefined). */
async function handshake(options: Partial<TlsServerCredentialsOptions>, offer: string[] | undefined): Promise<Outcome> {
  const credentials = tlsServerCredentials({ ...pki.server, ...options });
  const netServer = net.createServer();
  open.closers.push(() => netServer.close());
  const accepted = new Promise<net.Socket>((resolve) => netServer.once("connection", resolve));
  await new Promise<void>((resolve) => netServer.listen(0, "127.0.0.1", resolve));
  const port = (netServer.address() as net.AddressInfo).port;
  const client = tls.connect({ host: "127.0.0.1", port, ca: pki.ca, servername: "localhost", ...(offer !== undefined ? { ALPNProtocols: offer } : {}) });
  open.closers.push(() => client.destroy());
  const clientSide = new Promise<string | false | null>((resolve) => {
    client.once("secureConnect", () => resolve(client.alpnProtocol));
    client.once("error", (e) => resolve(`error: ${e.message}`));
  });
  const raw = await accepted;
  open.closers.push(() => raw.destroy());
  const server = await credentials.serverHandshake(raw).then(
    (hs) => {
      open.closers.unshift(() => hs.socket.destroy());
      return String(hs.alpnProtocol);
    },
    (e: Error) => `error: ${e.message}`,
  );
  return { server, client: await clientSide };
}

describe("ALPN on TLS server credentials", () => {
  it("prefers h2: a client offering h2 and http/1.1 (as a browser does) or only h2 (as gRPC clients do) gets h2", async () => {
    expect(await handshake({}, ["http/1.1", "h2"])).toEqual({ server: "h2", client: "h2" });
    expect(await handshake({}, ["h2"])).toEqual({ server: "h2", client: "h2" });
  });

  it("serves HTTP/1.1 to a client offering only http/1.1, and to one offering no ALPN at all", async () => {
    expect(await handshake({}, ["http/1.1"])).toEqual({ server: "http/1.1", client: "http/1.1" });
    expect(await handshake({}, undefined)).toEqual({ server: "http/1.1", client: false });
  });

  it("refuses a client offering only protocols the server does not speak, with TLS's no_application_protocol alert", async () => {
    const outcome = await handshake({}, ["spdy/3"]);
    expect(outcome.server).toMatch(/^error: TLS handshake failed: .*no application protocol/);
    expect(outcome.client).toMatch(/^error: .*alert no application protocol/);
  });

  it("with allowHttp1 false offers h2 only: an http/1.1 client is refused by the alert, and one with no ALPN is refused saying HTTP/2 is needed", async () => {
    expect(await handshake({ allowHttp1: false }, ["h2", "http/1.1"])).toEqual({ server: "h2", client: "h2" });
    const http1 = await handshake({ allowHttp1: false }, ["http/1.1"]);
    expect(http1.server).toMatch(/no application protocol/);
    expect(http1.client).toMatch(/alert no application protocol/);
    const none = await handshake({ allowHttp1: false }, undefined);
    expect(none.server).toBe("error: the client did not offer HTTP/2 (ALPN h2)");
  });

  it("refuses an allowHttp1 that is not a boolean when the credentials are made", () => {
    expect(() => tlsServerCredentials({ ...pki.server, allowHttp1: "yes" as unknown as boolean })).toThrow("allowHttp1 must be a boolean, not string");
  });
});
