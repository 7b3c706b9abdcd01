/**
 * OAuth2 client credentials against a token endpoint the test runs on loopback, the
 * tokens checked by a grpckit server on a unix socket by the same clock the
 * credentials read.
 */
import { describe, expect, it } from "vitest";
import { Code } from "@grpckit/core";
import { oauth2ClientCredentials } from "../src/index.js";
import { bearer, clients, manualClock, outcome, startGrpcServer, startTokenServer, useLoopback } from "./support.js";

useLoopback();

const hour = 3600;

describe("oauth2ClientCredentials", () => {
  it("a token that expires in the middle of 1,000 calls is refreshed once, and no call fails", async () => {
    const clock = manualClock();
    // What the token endpoint issued: token → when it expires, by the shared clock.
    const issued = new Map<string, number>();
    const tokens = await startTokenServer((_request, index) => {
      const token = `token-${index + 1}`;
      issued.set(token, clock.now() + hour * 1000);
      return { status: 200, json: { access_token: token, token_type: "bearer", expires_in: hour } };
    });
    const grpc = await startGrpcServer((authorization) => {
      const token = bearer(authorization);
      const expiresAt = issued.get(token);
      if (expiresAt === undefined) throw new Error(`${token} was not issued by the token endpoint`);
      if (clock.now() >= expiresAt) throw new Error(`${token} has expired`);
      return token;
    });
    const { echo } = clients(grpc.target, oauth2ClientCredentials({ tokenUrl: tokens.url, clientId: "billing", clientSecret: "s3cret", scopes: ["ledger.read"], now: clock.now }));

    const wave = async () => (await Promise.all(Array.from({ length: 250 }, (_, i) => outcome(echo.echo({ message: `call ${i}` }))))).filter((o) => o.code !== "OK");
    const failed = [...(await wave()), ...(await wave())];
    // Half-way: token-1 has 5 s left, inside the 10 s refresh margin, so the next calls refresh it.
    clock.ms = issued.get("token-1")! - 5_000;
    failed.push(...(await wave()));
    // token-1 has now expired: the server refuses it, and the calls carry token-2.
    clock.ms = issued.get("token-1")! + 1_000;
    failed.push(...(await wave()));

    const perToken = grpc.callsPerToken;
    console.log(
      `oauth2: 1000 calls, ${failed.length} failed, token endpoint asked ${tokens.requests.length} times (token-1 for ${perToken.get("token-1") ?? 0} calls, token-2 for ${perToken.get("token-2") ?? 0})`,
    );
    expect(failed).toEqual([]);
    expect(tokens.requests.length).toBe(2);
    expect(perToken).toEqual(new Map([["token-1", 500], ["token-2", 500]]));
  }, 60_000);

  it("100 concurrent first calls share one request to the token endpoint", async () => {
    const tokens = await startTokenServer(async () => {
      // Hold the answer so the calls that arrive meanwhile find the fetch still in flight.
      await new Promise((resolve) => setTimeout(resolve, 200));
      return { status: 200, json: { access_token: "shared", token_type: "Bearer", expires_in: hour } };
    });
    const grpc = await startGrpcServer((authorization) => bearer(authorization));
    const { echo } = clients(grpc.target, oauth2ClientCredentials({ tokenUrl: tokens.url, clientId: "billing", clientSecret: "s3cret" }));
    const results = await Promise.all(Array.from({ length: 100 }, () => outcome(echo.echo({ message: "hi" }))));
    expect(results.filter((r) => r.code !== "OK")).toEqual([]);
    expect(tokens.requests.length).toBe(1);
    expect(grpc.callsPerToken.get("shared")).toBe(100);
  });

  it("asks as RFC 6749 §4.4 says: a form with grant_type and scope, the client id and secret form-encoded into HTTP Basic", async () => {
    const tokens = await startTokenServer(() => ({ status: 200, json: { access_token: "t", expires_in: hour } }));
    const grpc = await startGrpcServer((authorization) => bearer(authorization));
    const clientId = "billing service";
    const clientSecret = "s3:c/r+t";
    const { echo } = clients(
      grpc.target,
      oauth2ClientCredentials({ tokenUrl: tokens.url, clientId, clientSecret, scopes: ["ledger.read", "ledger.write"], audience: "https://ledger.example", extraParams: { resource: "urn:ledger" } }),
    );
    await echo.echo({ message: "hi" });
    const [request] = tokens.requests;
    expect(request!.method).toBe("POST");
    expect(request!.path).toBe("/token");
    expect(request!.contentType).toBe("application/x-www-form-urlencoded");
    expect(Object.fromEntries(request!.form)).toEqual({ grant_type: "client_credentials", scope: "ledger.read ledger.write", audience: "https://ledger.example", resource: "urn:ledger" });
    const basic = Buffer.from(String(request!.headers.authorization).replace(/^Basic /, ""), "base64").toString("utf8");
    expect(basic).toBe("billing+service:s3%3Ac%2Fr%2Bt");
  });

  it('with clientAuthentication "body" sends client_id and client_secret in the form and no Basic header', async () => {
    const tokens = await startTokenServer(() => ({ status: 200, json: { access_token: "t", expires_in: hour } }));
    const grpc = await startGrpcServer((authorization) => bearer(authorization));
    const { echo } = clients(grpc.target, oauth2ClientCredentials({ tokenUrl: tokens.url, clientId: "billing", clientSecret: "s3cret", clientAuthentication: "body" }));
    await echo.echo({ message: "hi" });
    const [request] = tokens.requests;
    expect(request!.headers.authorization).toBeUndefined();
    expect(Object.fromEntries(request!.form)).toEqual({ grant_type: "client_credentials", client_id: "billing", client_secret: "s3cret" });
  });

  it("refuses a tokenUrl that is not http(s) and missing client credentials when it is made", () => {
    expect(() => oauth2ClientCredentials({ tokenUrl: "ftp://auth.example/token", clientId: "a", clientSecret: "b" })).toThrow("tokenUrl must be an http: or https: URL, not a ftp: one");
    expect(() => oauth2ClientCredentials({ tokenUrl: "http://127.0.0.1:1/token", clientId: "a", clientSecret: "" })).toThrow("oauth2ClientCredentials needs clientSecret, a non-empty string");
  });

  it("are refused on a plaintext TCP channel with core's message, and the token endpoint is never asked", async () => {
    const { createChannel, createClient, createServer, insecureCredentials } = await import("@grpckit/core");
    const { h2Transport } = await import("@grpckit/transport-h2");
    const { EchoService } = await import("../../core/test/gen/grpckit/test/v1/echo_pb.js");
    const tokens = await startTokenServer(() => ({ status: 200, json: { access_token: "t", expires_in: hour } }));
    const server = createServer({ transport: h2Transport(), credentials: insecureCredentials() });
    server.addService(EchoService, {
      echo: () => ({ message: "reached" }),
      // eslint-disable-next-line require-yield
      async *expand() {},
    });
    const { port } = await server.listen("127.0.0.1:0");
    const channel = createChannel(`127.0.0.1:${port!}`, {
      transport: h2Transport(),
      credentials: insecureCredentials(),
      callCredentials: oauth2ClientCredentials({ tokenUrl: tokens.url, clientId: "billing", clientSecret: "s3cret" }),
    });
    try {
      const result = await outcome(createClient(EchoService, channel).echo({ message: "hi" }));
      expect(result.code).toBe(Code.UNAUTHENTICATED);
      expect(result.message).toContain('call credentials that require transport security are not sent on a connection whose security level is "none"');
      expect(tokens.requests.length).toBe(0);
    } finally {
      channel.close();
      server.forceShutdown();
    }
  });
});
