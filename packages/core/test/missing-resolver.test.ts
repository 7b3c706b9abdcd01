/**
 * A target naming a resolver scheme none is registered for fails at createChannel,
 * saying what is missing and how to add it; bare host:port targets still go to the
 * default scheme.
 */
import { describe, expect, it } from "vitest";
import { createChannel, createInMemoryTransport } from "../src/index.js";

const transport = createInMemoryTransport();

function creationError(target: string): string {
  try {
    createChannel(target, { transport }).close();
  } catch (e) {
    return (e as Error).message;
  }
  return "(no error)";
}

describe("a target whose scheme has no registered resolver", () => {
  it.each(["dns:///x:1", "dns://8.8.8.8/x:1", "dns:api.internal:443"])("%s, without resolver-dns, says to call registerDnsResolver()", (target) => {
    const message = creationError(target);
    expect(message).toContain(`target "${target}" needs a resolver for the "dns" scheme, and none is registered`);
    expect(message).toContain("call registerDnsResolver() from @grpckit/resolver-dns before creating the channel");
    expect(message).toMatch(/registered schemes: .*passthrough/);
  });

  it("http://host:port says no resolver is registered for http, which schemes are, and to write host:port", () => {
    const message = creationError("http://localhost:50051");
    expect(message).toContain('no resolver is registered for scheme "http"');
    expect(message).toMatch(/registered schemes: .*passthrough.*unix/);
    expect(message).toContain('write it as "host:port" without "http://"');
  });

  it("xds:///name says no resolver is registered for xds and how to register one", () => {
    const message = creationError("xds:///my-service");
    expect(message).toContain('no resolver is registered for scheme "xds"');
    expect(message).toContain("registerResolver");
  });

  it("a resolver given to the channel itself counts as registered", () => {
    const resolver = { name: "xds", build: () => ({ resolveNow() {}, close() {} }) };
    const channel = createChannel("xds:///my-service", { transport, resolvers: [resolver] });
    expect(channel.target.scheme).toBe("xds");
    channel.close();
  });

  it.each(["localhost:50051", "127.0.0.1:50051", "[::1]:50051", "dns:50051", "backend"])("the bare target %s still goes to the default scheme whole", (target) => {
    const channel = createChannel(target, { transport });
    expect(channel.target).toMatchObject({ scheme: "passthrough", endpoint: target });
    channel.close();
  });
});
