import { afterEach, describe, expect, it } from "vitest";
import {
  Code,
  GrpcError,
  Metadata,
  bearerToken,
  combineCallCredentials,
  compositeChannelCredentials,
  insecureCredentials,
  type CallCredentialsContext,
} from "../src/index.js";
import { failure, startEcho, type Harness } from "./support/harness.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe("call credentials", () => {
  it("are refused on an insecure connection unless the channel allows them", async () => {
    h = await startEcho({ channel: { callCredentials: bearerToken("secret") } });
    const err = await failure(h.client.echo({}));
    expect(err.code).toBe(Code.UNAUTHENTICATED);
    expect(err.rawMessage).toMatch(/require transport security .* security level is "none"/);
    expect(h.log.contexts).toHaveLength(0);
  });

  it("one that does not require transport security goes out on an insecure connection and sees its security level", async () => {
    const seen: CallCredentialsContext[] = [];
    const requestId = {
      requiresTransportSecurity: false,
      getMetadata: (ctx: CallCredentialsContext) => {
        seen.push(ctx);
        return new Metadata({ "x-request-tag": "t1" });
      },
    };
    h = await startEcho();
    await h.client.echo({}, { callCredentials: requestId });
    expect(h.log.contexts[0].metadata.get("x-request-tag")).toBe("t1");
    expect(seen[0].securityLevel).toBe("none");
    expect(seen[0].authInfo?.securityLevel).toBe("none");
    // Combined with one that does require it, the combination is refused.
    const err = await failure(h.client.echo({}, { callCredentials: combineCallCredentials(requestId, bearerToken("secret")) }));
    expect(err.code).toBe(Code.UNAUTHENTICATED);
    expect(h.log.contexts).toHaveLength(1);
  });

  it("a bearer token reaches the server as the authorization header", async () => {
    h = await startEcho({ channel: { callCredentials: bearerToken("secret"), allowInsecureCallCredentials: true } });
    await h.client.echo({});
    expect(h.log.contexts[0].metadata.get("authorization")).toBe("Bearer secret");
  });

  it("a token function is called for each call with the service URL and method", async () => {
    const seen: CallCredentialsContext[] = [];
    let n = 0;
    h = await startEcho({
      channel: {
        allowInsecureCallCredentials: true,
        callCredentials: bearerToken(async (ctx) => {
          seen.push(ctx);
          return `token-${++n}`;
        }),
      },
    });
    await h.client.echo({});
    await h.client.echo({}, { metadata: new Metadata({ "x-other": "kept" }) });
    expect(h.log.contexts.map((c) => c.metadata.get("authorization"))).toEqual(["Bearer token-1", "Bearer token-2"]);
    expect(h.log.contexts[1].metadata.get("x-other")).toBe("kept");
    expect(seen[0].serviceUrl).toMatch(/^http:\/\/.+\/grpckit\.test\.v1\.EchoService$/);
    expect(seen[0].methodName).toBe("Echo");
  });

  it("per-call credentials replace the channel's, and combined ones add each one's metadata", async () => {
    h = await startEcho({ channel: { callCredentials: bearerToken("channel"), allowInsecureCallCredentials: true } });
    const apiKey = { getMetadata: () => new Metadata({ "x-api-key": "k1" }) };
    await h.client.echo({}, { callCredentials: combineCallCredentials(bearerToken("call"), apiKey) });
    const md = h.log.contexts[0].metadata;
    expect(md.get("authorization")).toBe("Bearer call");
    expect(md.get("x-api-key")).toBe("k1");
  });

  it("a credential that fails ends the call with UNAUTHENTICATED, or with the status it throws", async () => {
    h = await startEcho({ channel: { allowInsecureCallCredentials: true } });
    const broken = { getMetadata: () => Promise.reject(new Error("token service down")) };
    const denied = {
      getMetadata: () => {
        throw new GrpcError(Code.PERMISSION_DENIED, "no token for this audience");
      },
    };
    const e1 = await failure(h.client.echo({}, { callCredentials: broken }));
    expect(e1.code).toBe(Code.UNAUTHENTICATED);
    expect(e1.rawMessage).toContain("token service down");
    const e2 = await failure(h.client.echo({}, { callCredentials: denied }));
    expect(e2.code).toBe(Code.PERMISSION_DENIED);
    expect(h.log.contexts).toHaveLength(0);
  });

  it("a credential that fails with a code gRFC A54 keeps from credentials ends the call with INTERNAL", async () => {
    h = await startEcho({ channel: { allowInsecureCallCredentials: true } });
    const misleading = {
      getMetadata: () => Promise.reject(new GrpcError(Code.INVALID_ARGUMENT, "bad audience")),
    };
    const err = await failure(h.client.echo({}, { callCredentials: misleading }));
    expect(err.code).toBe(Code.INTERNAL);
    expect(err.rawMessage).toContain("INVALID_ARGUMENT");
    expect(err.rawMessage).toContain("bad audience");
    expect(h.log.contexts).toHaveLength(0);
  });

  it("composite channel credentials carry call credentials to every call", async () => {
    const credentials = compositeChannelCredentials(insecureCredentials(), bearerToken("composed"));
    h = await startEcho({ channel: { credentials, allowInsecureCallCredentials: true } });
    await h.client.echo({});
    expect(h.log.contexts[0].metadata.get("authorization")).toBe("Bearer composed");
  });
});
