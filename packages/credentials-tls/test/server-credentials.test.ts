/**
 * Server TLS credentials: client certificates (mutual TLS), certificates chosen by SNI,
 * and replacing the certificate of a running server.
 */
import { describe, expect, it } from "vitest";
import { Code } from "@grpckit/core";
import { tlsChannelCredentials, tlsServerCredentials, type TlsAuthInfo } from "../src/index.js";
import { connectRaw, echoClient, emptyLog, failure, open, pki, serve, useLoopback } from "./loopback.js";

useLoopback();

describe("mutual TLS", () => {
  it("the handler sees the client certificate's subject and SANs", async () => {
    const log = emptyLog();
    const port = await serve(tlsServerCredentials({ ...pki.server, clientCertificate: "require", ca: pki.ca }), log);
    const client = echoClient(`127.0.0.1:${port}`, tlsChannelCredentials({ ca: pki.ca, ...pki.client }));
    expect((await client.echo({ message: "mtls" })).message).toBe("mtls");
    const auth = log.contexts[0].peer.authInfo as TlsAuthInfo;
    expect(auth.type).toBe("tls");
    expect(auth.authorized).toBe(true);
    expect(auth.peerCertificate?.subject.CN).toBe("client");
    expect(auth.peerCertificate?.issuerCertificate?.subject.CN).toBe("grpckit test CA");
    expect(auth.subjectAltNames).toEqual(["DNS:client.test", "URI:spiffe://grpckit.test/client"]);
  });

  it("the client sees the server certificate in its connection's auth info", async () => {
    const port = await serve(tlsServerCredentials({ ...pki.server }));
    const creds = tlsChannelCredentials({ ca: pki.ca });
    const socket = await connectRaw(port);
    const hs = await creds.clientHandshake(socket, `localhost:${port}`);
    open.closers.unshift(() => hs.socket.destroy());
    const auth = hs.authInfo as TlsAuthInfo;
    expect(hs.alpnProtocol).toBe("h2");
    expect(auth.peerCertificate?.subject.CN).toBe("server");
    expect(auth.subjectAltNames).toContain("DNS:localhost");
    expect(auth.subjectAltNames).toContain("IP Address:127.0.0.1");
  });

  it('a "require" server refuses a client without a certificate', async () => {
    const port = await serve(tlsServerCredentials({ ...pki.server, clientCertificate: "require", ca: pki.ca }));
    const err = await failure(echoClient(`127.0.0.1:${port}`, tlsChannelCredentials({ ca: pki.ca })).echo({}, { timeoutMs: 5000 }));
    expect(err.code).toBe(Code.UNAVAILABLE);
    expect(err.message).toContain(`the server at 127.0.0.1:${port} ended TLS: tlsv13 alert certificate required`);
  });

  it('a "require" server refuses a client certificate from another CA', async () => {
    const port = await serve(tlsServerCredentials({ ...pki.server, clientCertificate: "require", ca: pki.ca }));
    const stranger = tlsChannelCredentials({ ca: pki.ca, ...pki.otherServer });
    const err = await failure(echoClient(`127.0.0.1:${port}`, stranger).echo({}, { timeoutMs: 5000 }));
    expect(err.code).toBe(Code.UNAVAILABLE);
  });

  it('an "optional" server accepts clients with and without a certificate', async () => {
    const log = emptyLog();
    const port = await serve(tlsServerCredentials({ ...pki.server, clientCertificate: "optional", ca: pki.ca }), log);
    await echoClient(`127.0.0.1:${port}`, tlsChannelCredentials({ ca: pki.ca })).echo({ message: "anonymous" });
    await echoClient(`127.0.0.1:${port}`, tlsChannelCredentials({ ca: pki.ca, ...pki.client })).echo({ message: "known" });
    const [anonymous, known] = log.contexts.map((c) => c.peer.authInfo as TlsAuthInfo);
    expect(anonymous.peerCertificate).toBeUndefined();
    expect(anonymous.authorized).toBe(false);
    expect(known.peerCertificate?.subject.CN).toBe("client");
    expect(known.authorized).toBe(true);
  });
});

describe("server certificates", () => {
  it("SNI chooses between two certificates, the first being the default", async () => {
    const port = await serve(tlsServerCredentials({ certificates: [pki.alpha, pki.beta] }));
    const seen = async (name: string) => {
      const creds = tlsChannelCredentials({ ca: pki.ca, checkServerIdentity: () => undefined });
      const socket = await connectRaw(port);
      const hs = await creds.clientHandshake(socket, `${name}:${port}`);
      hs.socket.destroy();
      return (hs.authInfo as TlsAuthInfo).peerCertificate?.subject.CN;
    };
    expect(await seen("beta.test")).toBe("beta");
    expect(await seen("alpha.test")).toBe("alpha");
    expect(await seen("unknown.test")).toBe("alpha");
    expect((await echoClient(`127.0.0.1:${port}`, tlsChannelCredentials({ ca: pki.ca }), { authority: `beta.test:${port}` }).echo({ message: "b" })).message).toBe("b");
  });


  it("update() on server credentials replaces the certificate for new connections", async () => {
    const credentials = tlsServerCredentials({ ...pki.otherServer });
    const port = await serve(credentials);
    const refused = await failure(echoClient(`127.0.0.1:${port}`, tlsChannelCredentials({ ca: pki.ca })).echo({}, { timeoutMs: 5000 }));
    expect(refused.message).toContain("is not trusted");
    credentials.update(pki.server);
    expect((await echoClient(`127.0.0.1:${port}`, tlsChannelCredentials({ ca: pki.ca })).echo({ message: "trusted now" })).message).toBe("trusted now");
  });

});
