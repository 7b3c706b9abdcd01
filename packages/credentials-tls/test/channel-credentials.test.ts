/**
 * Client TLS credentials against real loopback servers: verified connections, and the
 * words a refused one is reported with.
 */
import * as http2 from "node:http2";
import * as net from "node:net";
import * as tls from "node:tls";
import { describe, expect, it } from "vitest";
import { Code, insecureCredentials } from "@grpckit/core";
import { tlsChannelCredentials, tlsServerCredentials, type TlsAuthInfo } from "../src/index.js";
import { echoClient, emptyLog, failure, open, pki, serve, useLoopback } from "./loopback.js";

useLoopback();

describe("TLS", () => {
  it("carries a call over TLS and the handler sees tls/privacy auth info", async () => {
    const log = emptyLog();
    const port = await serve(tlsServerCredentials({ ...pki.server }), log);
    const client = echoClient(`127.0.0.1:${port}`, tlsChannelCredentials({ ca: pki.ca }));
    expect((await client.echo({ message: "hello" })).message).toBe("hello");
    const auth = log.contexts[0].peer.authInfo as TlsAuthInfo;
    expect(auth.type).toBe("tls");
    expect(auth.securityLevel).toBe("privacy");
    expect(auth.protocol).toMatch(/^TLSv1\.[23]$/);
    expect(auth.peerCertificate).toBeUndefined();
  });

  it("reaches a server by name (localhost) and over IPv6 (::1)", async () => {
    const port = await serve(tlsServerCredentials({ ...pki.server }));
    const creds = tlsChannelCredentials({ ca: pki.ca });
    expect((await echoClient(`localhost:${port}`, creds, { authority: `localhost:${port}` }).echo({ message: "by name" })).message).toBe("by name");

    const port6 = await serve(tlsServerCredentials({ ...pki.server }), undefined, "::1");
    expect((await echoClient(`[::1]:${port6}`, creds).echo({ message: "v6" })).message).toBe("v6");
  });

  it("refuses a server whose certificate comes from another CA, saying it is not trusted", async () => {
    const port = await serve(tlsServerCredentials({ ...pki.otherServer }));
    const err = await failure(echoClient(`127.0.0.1:${port}`, tlsChannelCredentials({ ca: pki.ca })).echo({}, { timeoutMs: 5000 }));
    expect(err.code).toBe(Code.UNAVAILABLE);
    expect(err.message).toContain(`certificate of 127.0.0.1:${port} is not trusted`);
    expect(err.message).toContain("UNABLE_TO_VERIFY_LEAF_SIGNATURE");
  });

  it("refuses a certificate that does not name the server, naming the certificate's names and the one expected, and accepts it with serverNameOverride", async () => {
    const port = await serve(tlsServerCredentials({ ...pki.server }));
    const wrong = echoClient(`127.0.0.1:${port}`, tlsChannelCredentials({ ca: pki.ca }), { authority: `api.example.com:${port}` });
    const err = await failure(wrong.echo({}, { timeoutMs: 5000 }));
    expect(err.code).toBe(Code.UNAVAILABLE);
    expect(err.message).toBe(
      `[unavailable] failed to connect to 127.0.0.1:${port}: the server's certificate is for DNS:localhost, IP:127.0.0.1, IP:::1, ` +
        'not "api.example.com"; connect by one of those names, or set serverNameOverride to the name the certificate holds',
    );

    const overridden = echoClient(`127.0.0.1:${port}`, tlsChannelCredentials({ ca: pki.ca, serverNameOverride: "localhost" }), {
      authority: `api.example.com:${port}`,
    });
    expect((await overridden.echo({ message: "ok" })).message).toBe("ok");
  });

  it("names a certificate's only DNS name when an IP address was expected", async () => {
    const port = await serve(tlsServerCredentials({ ...pki.alpha }));
    const err = await failure(echoClient(`127.0.0.1:${port}`, tlsChannelCredentials({ ca: pki.ca })).echo({}, { timeoutMs: 5000 }));
    expect(err.code).toBe(Code.UNAVAILABLE);
    expect(err.message).toContain(`127.0.0.1:${port}: the server's certificate is for DNS:alpha.test, not "127.0.0.1"; `);
  });

  it("refuses an expired server certificate, saying it has expired", async () => {
    const port = await serve(tlsServerCredentials({ ...pki.expiredServer }));
    const err = await failure(echoClient(`127.0.0.1:${port}`, tlsChannelCredentials({ ca: pki.ca })).echo({}, { timeoutMs: 5000 }));
    expect(err.code).toBe(Code.UNAVAILABLE);
    expect(err.message).toContain("certificate has expired");
    expect(err.message).toContain("CERT_HAS_EXPIRED");
  });

  it("a custom checkServerIdentity decides the name check", async () => {
    const port = await serve(tlsServerCredentials({ ...pki.server }));
    const seen: string[] = [];
    const creds = tlsChannelCredentials({
      ca: pki.ca,
      checkServerIdentity: (host, cert) => {
        seen.push(`${host} ${cert.subject.CN}`);
        return new Error("pinned certificate differs");
      },
    });
    const err = await failure(echoClient(`127.0.0.1:${port}`, creds).echo({}, { timeoutMs: 5000 }));
    expect(err.code).toBe(Code.UNAVAILABLE);
    expect(err.message).toContain(
      `checkServerIdentity refused the server's certificate (for DNS:localhost, IP:127.0.0.1, IP:::1) as "127.0.0.1": pinned certificate differs`,
    );
    expect(seen[0]).toBe("127.0.0.1 server");
  });

  it("a plaintext client to a TLS server fails fast with UNAVAILABLE", async () => {
    const port = await serve(tlsServerCredentials({ ...pki.server, handshakeTimeoutMs: 10_000 }));
    const started = Date.now();
    const err = await failure(echoClient(`127.0.0.1:${port}`, insecureCredentials()).echo({}, { timeoutMs: 10_000 }));
    expect(err.code).toBe(Code.UNAVAILABLE);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it("a TLS client to a plaintext server fails fast, saying the handshake failed", async () => {
    const port = await serve(insecureCredentials());
    const started = Date.now();
    const err = await failure(echoClient(`127.0.0.1:${port}`, tlsChannelCredentials({ ca: pki.ca })).echo({}, { timeoutMs: 10_000 }));
    expect(err.code).toBe(Code.UNAVAILABLE);
    expect(err.message).toContain(`TLS handshake with 127.0.0.1:${port} failed`);
    expect(err.message).toContain("is the server using TLS?");
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it("a TLS client to a server that never answers gives up after handshakeTimeoutMs", async () => {
    const silent = net.createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const sockets: net.Socket[] = [];
    silent.on("connection", (s) => sockets.push(s));
    open.closers.push(() => {
      for (const s of sockets) s.destroy();
      silent.close();
    });
    const port = (silent.address() as { port: number }).port;
    const err = await failure(echoClient(`127.0.0.1:${port}`, tlsChannelCredentials({ ca: pki.ca, handshakeTimeoutMs: 300 })).echo({}, { timeoutMs: 5000 }));
    expect(err.code).toBe(Code.UNAVAILABLE);
    expect(err.message).toContain("timed out after 300 ms");
  });

  it("refuses a TLS server that does not agree to HTTP/2 over ALPN", async () => {
    const server = tls.createServer({ ...pki.server }, (s) => s.on("error", () => {}));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    open.closers.push(() => server.close());
    const port = (server.address() as { port: number }).port;
    const err = await failure(echoClient(`127.0.0.1:${port}`, tlsChannelCredentials({ ca: pki.ca })).echo({}, { timeoutMs: 5000 }));
    expect(err.code).toBe(Code.UNAVAILABLE);
    expect(err.message).toContain("did not agree to HTTP/2 (ALPN h2)");
  });

  it("serves a standard HTTP/2 TLS client negotiating h2", async () => {
    const port = await serve(tlsServerCredentials({ ...pki.server }));
    const session = http2.connect(`https://localhost:${port}`, { ca: pki.ca });
    open.closers.push(() => session.destroy());
    const alpn = await new Promise<string | false | undefined>((resolve, reject) => {
      session.once("connect", () => resolve(session.alpnProtocol));
      session.once("error", reject);
    });
    expect(alpn).toBe("h2");
  });
});
