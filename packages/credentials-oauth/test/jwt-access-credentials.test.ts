/**
 * Self-signed JWT access credentials: the server verifies each token with the service
 * account's public key, as a Google API front end would, and checks its audience.
 */
import { generateKeyPairSync, verify, type KeyObject } from "node:crypto";
import { describe, expect, it } from "vitest";
import { jwtAccessCredentials } from "../src/index.js";
import { bearer, clients, manualClock, startGrpcServer, useLoopback } from "./support.js";

useLoopback();

const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const serviceAccount = {
  type: "service_account",
  client_email: "ledger-reader@project.example.iam.gserviceaccount.com",
  private_key: privateKey.export({ type: "pkcs8", format: "pem" }) as string,
  private_key_id: "key-1234",
};

interface Jwt {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
}

/** The JWT's header and claims, after its RS256 signature is verified with `key`; throws when it does not verify. */
function verifyJwt(token: string, key: KeyObject): Jwt {
  const [header, claims, signature] = token.split(".");
  if (signature === undefined) throw new Error("not a JWT");
  if (!verify("sha256", Buffer.from(`${header}.${claims}`), key, Buffer.from(signature, "base64url"))) throw new Error("the signature does not verify");
  const decode = (part: string) => JSON.parse(Buffer.from(part, "base64url").toString("utf8")) as Record<string, unknown>;
  return { header: decode(header!), claims: decode(claims!) };
}

describe("jwtAccessCredentials", () => {
  it("sends an RS256 JWT the service account's public key verifies, with kid, iss, sub, aud and an hour's lifetime", async () => {
    const clock = manualClock();
    const seen: Jwt[] = [];
    const grpc = await startGrpcServer((authorization) => {
      const token = bearer(authorization);
      seen.push(verifyJwt(token, publicKey));
      return token;
    });
    const { echo } = clients(grpc.target, jwtAccessCredentials(JSON.stringify(serviceAccount), { now: clock.now }));
    await echo.echo({ message: "hi" });
    const iat = Math.floor(clock.ms / 1000);
    expect(seen[0]).toEqual({
      header: { alg: "RS256", typ: "JWT", kid: "key-1234" },
      claims: {
        iss: serviceAccount.client_email,
        sub: serviceAccount.client_email,
        aud: "https://localhost/grpckit.test.v1.EchoService",
        iat,
        exp: iat + 3600,
      },
    });
  });

  it("reuses a service's JWT within the hour, signs a new one 10 s before it expires, and gives each service its own audience", async () => {
    const clock = manualClock();
    const grpc = await startGrpcServer((authorization) => bearer(authorization));
    const { echo, backend } = clients(grpc.target, jwtAccessCredentials(serviceAccount, { now: clock.now }));
    const first = (await echo.echo({ message: "hi" })).message;
    clock.ms += 30 * 60_000;
    expect((await echo.echo({ message: "hi" })).message).toBe(first);
    const other = (await backend.who({})).backend;
    expect(verifyJwt(other, publicKey).claims["aud"]).toBe("https://localhost/grpckit.health.test.v1.BackendService");
    clock.ms += 30 * 60_000 - 5_000; // 5 s before the first JWT expires
    const renewed = (await echo.echo({ message: "hi" })).message;
    expect(renewed).not.toBe(first);
    expect(verifyJwt(renewed, publicKey).claims["iat"]).toBe(Math.floor(clock.ms / 1000));
    expect(grpc.callsPerToken.get(first)).toBe(2);
  });

  it("refuses a key that is not a service account key, naming the field", () => {
    const { private_key_id: _, ...noKeyId } = serviceAccount;
    expect(() => jwtAccessCredentials(noKeyId as typeof serviceAccount)).toThrow('the service account key has no "private_key_id" (a non-empty string)');
    expect(() => jwtAccessCredentials("{not json")).toThrow("the service account key is not JSON");
    expect(() => jwtAccessCredentials({ ...serviceAccount, private_key: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n" })).toThrow(
      `the service account key's "private_key" is not a PEM private key`,
    );
    const ec = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ type: "pkcs8", format: "pem" }) as string;
    expect(() => jwtAccessCredentials({ ...serviceAccount, private_key: ec })).toThrow(`the service account key's "private_key" is an ec key; RS256 needs an RSA key`);
  });
});
