/**
 * STS token exchange (RFC 8693) against a security token service the test runs on
 * loopback, with the subject token in a file the test rotates.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Code } from "@grpckit/core";
import { stsCredentials } from "../src/index.js";
import { bearer, clients, manualClock, outcome, startGrpcServer, startTokenServer, tempDir, useLoopback } from "./support.js";

useLoopback();

const jwtType = "urn:ietf:params:oauth:token-type:jwt";

/** An STS that issues access-1, access-2, … valid for an hour. */
function exchange() {
  return startTokenServer((_request, index) => ({
    status: 200,
    json: { access_token: `access-${index + 1}`, issued_token_type: "urn:ietf:params:oauth:token-type:access_token", token_type: "Bearer", expires_in: 3600 },
  }));
}

describe("stsCredentials", () => {
  it("posts RFC 8693's parameters, form-encoded, with the subject and actor tokens read from their files", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "subject"), "subject-token-1\n");
    writeFileSync(join(dir, "actor"), "actor-token-1");
    const sts = await exchange();
    const grpc = await startGrpcServer((authorization) => bearer(authorization));
    const { echo } = clients(
      grpc.target,
      stsCredentials({
        tokenExchangeServiceUri: sts.url,
        resource: "https://ledger.example/api",
        audience: "ledger",
        scope: "ledger.read ledger.write",
        requestedTokenType: "urn:ietf:params:oauth:token-type:access_token",
        subjectTokenPath: join(dir, "subject"),
        subjectTokenType: jwtType,
        actorTokenPath: join(dir, "actor"),
        actorTokenType: jwtType,
      }),
    );
    expect((await echo.echo({ message: "hi" })).message).toBe("access-1");
    const [request] = sts.requests;
    expect(request!.method).toBe("POST");
    expect(request!.contentType).toBe("application/x-www-form-urlencoded");
    expect(Object.fromEntries(request!.form)).toEqual({
      grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
      resource: "https://ledger.example/api",
      audience: "ledger",
      scope: "ledger.read ledger.write",
      requested_token_type: "urn:ietf:params:oauth:token-type:access_token",
      subject_token: "subject-token-1",
      subject_token_type: jwtType,
      actor_token: "actor-token-1",
      actor_token_type: jwtType,
    });
  });

  it("keeps the token until 5 minutes before it expires, then exchanges the subject token the file holds by then", async () => {
    const clock = manualClock();
    const dir = tempDir();
    const subject = join(dir, "subject");
    writeFileSync(subject, "subject-1");
    const sts = await exchange();
    const grpc = await startGrpcServer((authorization) => bearer(authorization));
    const { echo } = clients(grpc.target, stsCredentials({ tokenExchangeServiceUri: sts.url, subjectTokenPath: subject, subjectTokenType: jwtType, now: clock.now }));

    expect((await echo.echo({ message: "hi" })).message).toBe("access-1");
    writeFileSync(subject, "subject-2"); // rotated on disk, as a projected service account token is
    clock.ms += 54 * 60_000; // 6 minutes left: still cached
    expect((await echo.echo({ message: "hi" })).message).toBe("access-1");
    expect(sts.requests.length).toBe(1);
    clock.ms += 2 * 60_000; // 4 minutes left: inside the 5-minute margin
    expect((await echo.echo({ message: "hi" })).message).toBe("access-2");
    expect(sts.requests.map((r) => r.form.get("subject_token"))).toEqual(["subject-1", "subject-2"]);
  });

  it("a subject token file that is missing or empty fails the call with UNAUTHENTICATED naming the file, and the STS is not asked", async () => {
    const dir = tempDir();
    const sts = await exchange();
    const grpc = await startGrpcServer((authorization) => bearer(authorization));
    const missing = clients(grpc.target, stsCredentials({ tokenExchangeServiceUri: sts.url, subjectTokenPath: join(dir, "nothing"), subjectTokenType: jwtType }));
    const result = await outcome(missing.echo.echo({ message: "hi" }));
    expect(result.code).toBe(Code.UNAUTHENTICATED);
    expect(result.message).toContain(`could not read the subject token file ${join(dir, "nothing")}: ENOENT`);
    writeFileSync(join(dir, "empty"), "\n");
    const empty = clients(grpc.target, stsCredentials({ tokenExchangeServiceUri: sts.url, subjectTokenPath: join(dir, "empty"), subjectTokenType: jwtType }));
    expect(await outcome(empty.echo.echo({ message: "hi" }))).toEqual({ code: Code.UNAUTHENTICATED, message: `the subject token file ${join(dir, "empty")} is empty` });
    expect(sts.requests.length).toBe(0);
  });

  it("an STS that refuses the subject token fails the call with UNAUTHENTICATED naming its error", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "subject"), "stale");
    const sts = await startTokenServer(() => ({ status: 400, json: { error: "invalid_grant", error_description: "subject token expired" } }));
    const grpc = await startGrpcServer((authorization) => bearer(authorization));
    const { echo } = clients(grpc.target, stsCredentials({ tokenExchangeServiceUri: sts.url, subjectTokenPath: join(dir, "subject"), subjectTokenType: jwtType }));
    expect(await outcome(echo.echo({ message: "hi" }))).toEqual({
      code: Code.UNAUTHENTICATED,
      message: `the token exchange service ${sts.url} answered 400: invalid_grant (subject token expired)`,
    });
  });

  it("refuses options grpc-go's sts refuses when it is made", () => {
    expect(() => stsCredentials({ tokenExchangeServiceUri: "sts.example.com/token", subjectTokenPath: "/t", subjectTokenType: jwtType })).toThrow(
      'tokenExchangeServiceUri must be an http: or https: URL, not "sts.example.com/token"',
    );
    expect(() => stsCredentials({ tokenExchangeServiceUri: "https://sts.example.com/token", subjectTokenPath: "", subjectTokenType: jwtType })).toThrow("stsCredentials needs subjectTokenPath");
    expect(() => stsCredentials({ tokenExchangeServiceUri: "https://sts.example.com/token", subjectTokenPath: "/t", subjectTokenType: jwtType, actorTokenPath: "/a" })).toThrow(
      "stsCredentials needs actorTokenType with actorTokenPath",
    );
  });
});
