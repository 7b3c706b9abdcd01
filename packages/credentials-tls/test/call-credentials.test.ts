/** Token call credentials over a real TLS connection, combined with the TLS channel credentials. */
import { describe, expect, it } from "vitest";
import { Metadata, bearerToken, compositeChannelCredentials, type CallCredentialsContext } from "@grpckit/core";
import { tlsChannelCredentials, tlsServerCredentials } from "../src/index.js";
import { echoClient, emptyLog, pki, serve, useLoopback } from "./loopback.js";

useLoopback();

describe("call credentials over TLS", () => {
  it("a bearer token composed with TLS credentials reaches the server, on a connection that is private", async () => {
    const log = emptyLog();
    const port = await serve(tlsServerCredentials({ ...pki.server }), log);
    const asked: CallCredentialsContext[] = [];
    const recorder = { getMetadata: (context: CallCredentialsContext) => (asked.push(context), new Metadata()) };
    const credentials = compositeChannelCredentials(tlsChannelCredentials({ ca: pki.ca }), bearerToken(() => "t0ken"), recorder);
    const client = echoClient(`localhost:${port}`, credentials);
    expect((await client.echo({ message: "with a token" })).message).toBe("with a token");
    const ctx = log.contexts[0];
    expect(ctx.metadata.get("authorization")).toBe("Bearer t0ken");
    expect(ctx.peer.authInfo?.securityLevel).toBe("privacy");
    // The credential saw the connection it was about to go out on.
    expect(asked[0].securityLevel).toBe("privacy");
    expect(asked[0].authInfo?.type).toBe("tls");
    expect(asked[0].serviceUrl).toMatch(/^https:\/\/localhost:\d+\/grpckit\.test\.v1\.EchoService$/);
  });

  it("an mTLS client with a token: the server sees both the certificate and the token", async () => {
    const log = emptyLog();
    const port = await serve(tlsServerCredentials({ ...pki.server, clientCertificate: "require", ca: pki.ca }), log);
    const tls = tlsChannelCredentials({ ca: pki.ca, cert: pki.client.cert, key: pki.client.key });
    const client = echoClient(`localhost:${port}`, tls, { callCredentials: bearerToken("per-channel") });
    await client.echo({});
    const ctx = log.contexts[0];
    expect(ctx.metadata.get("authorization")).toBe("Bearer per-channel");
    expect((ctx.peer.authInfo as { subjectAltNames?: string[] } | undefined)?.subjectAltNames?.length).toBeGreaterThan(0);
  });
});
