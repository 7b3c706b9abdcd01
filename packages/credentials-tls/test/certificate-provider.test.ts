/** Rotating certificates: new connections use the new one while open connections carry on. */
import { describe, expect, it } from "vitest";
import { createCertificateProvider, tlsChannelCredentials, tlsServerCredentials, type TlsAuthInfo } from "../src/index.js";
import { connectRaw, echoClient, emptyLog, open, pki, serve, useLoopback } from "./loopback.js";

useLoopback();

describe("certificate provider", () => {
  it("a rotated server certificate is used by the next connection while an open one keeps working", async () => {
    const provider = createCertificateProvider(pki.server);
    const log = emptyLog();
    const port = await serve(tlsServerCredentials({ provider }), log);
    const first = echoClient(`127.0.0.1:${port}`, tlsChannelCredentials({ ca: pki.ca }));
    await first.echo({ message: "before" });

    provider.update(pki.serverRotated);
    const socket = await connectRaw(port);
    const hs = await tlsChannelCredentials({ ca: pki.ca }).clientHandshake(socket, `127.0.0.1:${port}`);
    open.closers.unshift(() => hs.socket.destroy());
    expect((hs.authInfo as TlsAuthInfo).peerCertificate?.subject.CN).toBe("rotated server");

    expect((await first.echo({ message: "still open" })).message).toBe("still open");
    const second = echoClient(`127.0.0.1:${port}`, tlsChannelCredentials({ ca: pki.ca }));
    expect((await second.echo({ message: "after" })).message).toBe("after");
  });


  it("a rotated client certificate is presented on the next connection", async () => {
    const log = emptyLog();
    const port = await serve(tlsServerCredentials({ ...pki.server, clientCertificate: "require", ca: pki.ca }), log);
    const provider = createCertificateProvider({ ...pki.client, ca: pki.ca });
    const creds = tlsChannelCredentials({ provider });
    await echoClient(`127.0.0.1:${port}`, creds).echo({ message: "one" });
    provider.update({ ...pki.alpha, ca: pki.ca });
    await echoClient(`127.0.0.1:${port}`, creds).echo({ message: "two" });
    const names = log.contexts.map((c) => (c.peer.authInfo as TlsAuthInfo).peerCertificate?.subject.CN);
    expect(names).toEqual(["client", "alpha"]);
  });


  it("a provider refuses a key that does not match its certificate", () => {
    const provider = createCertificateProvider(pki.server);
    expect(() => provider.update({ cert: pki.server.cert, key: pki.client.key })).toThrow();
    expect(provider.version).toBe(0);
  });
});
