/**
 * least_request over real loopback HTTP/2: with one slow and one fast backend, calls
 * pile up on neither — the fast one takes most of them — and a least_request config
 * is chosen by name from a service config.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { create } from "@bufbuild/protobuf";
import {
  createChannel,
  createClient,
  createServer,
  type Channel,
  type ResolverBuilder,
  type Server,
} from "@grpckit/core";
import { http2Transport } from "@grpckit/transport-http2";
import { EchoRequestSchema, EchoService } from "../../../packages/core/test/gen/grpckit/test/v1/echo_pb.js";
import { registerLeastRequest } from "../src/index.js";

const transport = http2Transport();
const servers: Server[] = [];
const served = new Map<string, number>();
let channel: Channel;

/** A resolver that names a fixed list of addresses, as a plugin author's test would write one. */
function fixedAddresses(addrs: string[]): ResolverBuilder {
  return {
    name: "fixed",
    build(_target, cc) {
      queueMicrotask(() => cc.updateState({ endpoints: addrs.map((addr) => ({ addresses: [{ addr }] })) }));
      return { resolveNow() {}, close() {} };
    },
  };
}

async function backend(name: string, delayMs: number): Promise<string> {
  const server = createServer({ transport });
  server.addService(EchoService, {
    async echo(req) {
      served.set(name, (served.get(name) ?? 0) + 1);
      await new Promise((r) => setTimeout(r, delayMs));
      return { message: name };
    },
  });
  servers.push(server);
  return (await server.listen("127.0.0.1:0")).address;
}

beforeAll(async () => {
  registerLeastRequest();
  const slow = await backend("slow", 40);
  const fast = await backend("fast", 1);
  channel = createChannel("fixed:///backends", {
    transport,
    resolvers: [fixedAddresses([slow, fast])],
    // With two backends, ten draws almost always see both, so each pick takes the less loaded one.
    defaultServiceConfig: { loadBalancingConfig: [{ least_request: { choiceCount: 10 } }] },
  });
});

afterAll(() => {
  channel?.close();
  for (const s of servers) s.forceShutdown();
});

describe("least_request with a slow and a fast backend", () => {
  it("sends most calls to the backend that finishes them sooner", async ({ annotate }) => {
    const client = createClient(EchoService, channel);
    const request = create(EchoRequestSchema, {});
    const workers = Array.from({ length: 16 }, async () => {
      for (let i = 0; i < 25; i++) await client.echo(request);
    });
    await Promise.all(workers);
    const slow = served.get("slow") ?? 0;
    const fast = served.get("fast") ?? 0;
    await annotate(`400 calls, 16 in flight: fast ${fast}, slow ${slow}`);
    expect(slow + fast).toBe(400);
    // Round robin would split 200/200; least_request keeps the slow backend's queue short.
    expect(fast).toBeGreaterThan(3 * slow);
    expect(slow).toBeGreaterThan(0);
  });
});
