/**
 * What a call sees when the token endpoint fails: UNAVAILABLE for what may pass
 * (unreachable, no answer, 5xx, 429), UNAUTHENTICATED for what will not (a 4xx, an
 * answer that is not a token), each message naming the endpoint and never the secret.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { Code, LogVerbosity, setLogVerbosity, setLogger, getLogger } from "@grpckit/core";
import { maxTokenResponseBytes, oauth2ClientCredentials } from "../src/index.js";
import { bearer, clients, manualClock, outcome, startGrpcServer, startTokenServer, useLoopback, type TokenAnswer } from "./support.js";

useLoopback();

const secret = "do-not-print-me";

/** One call through credentials whose token endpoint answers every request with `answer`. */
async function callWith(answer: TokenAnswer, extra: { timeoutMs?: number } = {}) {
  const tokens = await startTokenServer(() => answer);
  const grpc = await startGrpcServer((authorization) => bearer(authorization));
  const { echo } = clients(grpc.target, oauth2ClientCredentials({ tokenUrl: tokens.url, clientId: "billing", clientSecret: secret, ...extra }));
  return { result: await outcome(echo.echo({ message: "hi" })), tokens };
}

describe("token endpoint failures", () => {
  it("an endpoint nobody listens on fails the call with UNAVAILABLE saying it could not be reached", async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const grpc = await startGrpcServer((authorization) => bearer(authorization));
    const { echo } = clients(grpc.target, oauth2ClientCredentials({ tokenUrl: `http://127.0.0.1:${port}/token`, clientId: "billing", clientSecret: secret }));
    const result = await outcome(echo.echo({ message: "hi" }));
    expect(result.code).toBe(Code.UNAVAILABLE);
    expect(result.message).toContain(`the token endpoint http://127.0.0.1:${port}/token could not be reached: connect ECONNREFUSED`);
  });

  it("401 invalid_client fails the call with UNAUTHENTICATED naming the OAuth error, not the secret", async () => {
    const { result, tokens } = await callWith({ status: 401, json: { error: "invalid_client", error_description: "client authentication failed" } });
    expect(result.code).toBe(Code.UNAUTHENTICATED);
    expect(result.message).toContain(`the token endpoint ${tokens.url} answered 401: invalid_client (client authentication failed)`);
    expect(result.message).not.toContain(secret);
  });

  it("400 invalid_grant fails with UNAUTHENTICATED; 503 and 429 with UNAVAILABLE", async () => {
    expect((await callWith({ status: 400, json: { error: "invalid_grant" } })).result).toMatchObject({ code: Code.UNAUTHENTICATED, message: expect.stringContaining("answered 400: invalid_grant") });
    expect((await callWith({ status: 503, text: "upstream down" })).result).toMatchObject({ code: Code.UNAVAILABLE, message: expect.stringMatching(/answered 503$/) });
    expect((await callWith({ status: 429, json: { error: "slow_down" } })).result).toMatchObject({ code: Code.UNAVAILABLE, message: expect.stringContaining("answered 429: slow_down") });
  });

  it("a 200 whose body is not JSON, or has no access_token, fails with UNAUTHENTICATED saying so", async () => {
    const garbage = await callWith({ status: 200, text: "<html>login</html>" });
    expect(garbage.result.code).toBe(Code.UNAUTHENTICATED);
    expect(garbage.result.message).toContain(`the token endpoint ${garbage.tokens.url} answered 200 with a body that is not a JSON object (18 bytes of text/plain)`);
    const empty = await callWith({ status: 200, json: { token_type: "Bearer" } });
    expect(empty.result).toMatchObject({ code: Code.UNAUTHENTICATED, message: expect.stringContaining("answered 200 without an access_token") });
    const badExpiry = await callWith({ status: 200, json: { access_token: "t", expires_in: "soon" } });
    expect(badExpiry.result).toMatchObject({ code: Code.UNAUTHENTICATED, message: expect.stringContaining("an expires_in that is not a number of seconds") });
  });

  it("an endpoint that does not answer within timeoutMs fails the call with UNAVAILABLE", async () => {
    const { result, tokens } = await callWith(() => {
      // Never answers; the server's close at the end of the test ends the connection.
    }, { timeoutMs: 300 });
    expect(result.code).toBe(Code.UNAVAILABLE);
    expect(result.message).toContain(`the token endpoint ${tokens.url} did not answer within 300 ms`);
  });

  it("an endless token response is refused after 1 MiB: the client stops reading and the call fails with UNAUTHENTICATED", async () => {
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    const limit = 64 * 1024 * 1024;
    let written = 0;
    let closed!: Promise<boolean>;
    const { result } = await callWith((res) => {
      res.writeHead(200, { "content-type": "application/json" });
      // Write up to 64 MiB of spaces as fast as the client reads them; stop when it hangs up.
      closed = new Promise((resolve) => res.on("close", () => resolve(!res.writableFinished)));
      const pump = () => {
        while (written < limit && !res.destroyed) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once("drain", pump);
        }
        if (!res.destroyed) res.end();
      };
      pump();
    });
    const cutShort = await closed;
    console.log(`oversized token response: refused after the endpoint had written ${Math.round(written / 1024)} KiB of its ${limit / 1024 / 1024} MiB`);
    expect(result.code).toBe(Code.UNAUTHENTICATED);
    expect(result.message).toContain(`answered 200 with more than ${maxTokenResponseBytes} bytes; a token response is a small JSON object, so it was refused`);
    expect(cutShort).toBe(true);
    expect(written).toBeLessThan(limit);
  });

  it("a failed refresh while the cached token is still valid keeps calls succeeding with it, logs why, and fails them once it expires", async () => {
    const clock = manualClock();
    let down = false;
    const tokens = await startTokenServer(() => (down ? { status: 503, json: { error: "temporarily_unavailable" } } : { status: 200, json: { access_token: "token-1", expires_in: 60 } }));
    const grpc = await startGrpcServer((authorization) => bearer(authorization));
    const { echo } = clients(grpc.target, oauth2ClientCredentials({ tokenUrl: tokens.url, clientId: "billing", clientSecret: secret, now: clock.now }));
    expect((await outcome(echo.echo({ message: "hi" }))).code).toBe("OK");

    const lines: string[] = [];
    const previous = getLogger();
    setLogger({ error: (m) => lines.push(m), info: () => {}, debug: () => {} });
    setLogVerbosity(LogVerbosity.ERROR);
    try {
      down = true;
      clock.ms += 55_000; // 5 s left: inside the refresh margin, still valid
      const during = await Promise.all(Array.from({ length: 20 }, () => outcome(echo.echo({ message: "hi" }))));
      expect(during.filter((r) => r.code !== "OK")).toEqual([]);
      expect(grpc.callsPerToken.get("token-1")).toBe(21);
      expect(tokens.requests.length).toBe(2);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(`credentials-oauth: keeping the cached token (valid 5 s more): refreshing it from the token endpoint ${tokens.url} failed: `);
      expect(lines[0]).toContain("answered 503: temporarily_unavailable");

      clock.ms += 6_000; // expired: nothing to fall back on
      const after = await Promise.all(Array.from({ length: 5 }, () => outcome(echo.echo({ message: "hi" }))));
      expect(after.map((r) => r.code)).toEqual(Array(5).fill(Code.UNAVAILABLE));
      expect(new Set(after.map((r) => r.message)).size).toBe(1);
    } finally {
      setLogger(previous);
    }
  });

  it("calls waiting on one refresh that fails all fail with the same status, after one request", async () => {
    const tokens = await startTokenServer(async () => {
      await new Promise((resolve) => setTimeout(resolve, 200));
      return { status: 401, json: { error: "invalid_client" } };
    });
    const grpc = await startGrpcServer((authorization) => bearer(authorization));
    const { echo } = clients(grpc.target, oauth2ClientCredentials({ tokenUrl: tokens.url, clientId: "billing", clientSecret: secret }));
    const results = await Promise.all(Array.from({ length: 50 }, () => outcome(echo.echo({ message: "hi" }))));
    expect(tokens.requests.length).toBe(1);
    expect(new Set(results.map((r) => `${r.code} ${r.message}`))).toEqual(new Set([`${Code.UNAUTHENTICATED} the token endpoint ${tokens.url} answered 401: invalid_client`]));
  });
});
