/**
 * random_ready over real loopback HTTP/2: chosen by name from a service config, it
 * sends calls to both servers, and none to the one its config avoids.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createChannel, createClient, createManualResolver, createServer, type Channel, type Server } from "@grpckit/core";
import { h2Transport } from "@grpckit/transport-h2";
import { EchoService } from "../../../packages/core/test/gen/grpckit/test/v1/echo_pb.js";
import { registerRandomReady } from "../src/index.js";

registerRandomReady();

const transport = h2Transport();
const open: { servers: Server[]; channels: Channel[] } = { servers: [], channels: [] };

afterEach(() => {
  for (const c of open.channels.splice(0)) c.close();
  for (const s of open.servers.splice(0)) s.forceShutdown();
});

async function serve(tag: string, counts: Map<string, number>): Promise<string> {
  const server = createServer({ transport });
  server.addService(EchoService, {
    async echo() {
      counts.set(tag, (counts.get(tag) ?? 0) + 1);
      return { message: tag };
    },
  });
  open.servers.push(server);
  return `127.0.0.1:${(await server.listen("127.0.0.1:0")).port}`;
}

/** 200 calls over servers a and b, once the servers that take calls have answered one. */
async function run(avoidA: boolean): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  const addrs = [await serve("a", counts), await serve("b", counts)];
  const resolver = createManualResolver();
  resolver.updateState({ endpoints: addrs.map((addr) => ({ addresses: [{ addr }] })) });
  const channel = createChannel("manual:///echo", {
    transport,
    resolvers: [resolver],
    defaultServiceConfig: { loadBalancingConfig: [{ random_ready: { avoid: avoidA ? [addrs[0]] : [] } }] },
  });
  open.channels.push(channel);
  const client = createClient(EchoService, channel);
  // Until both are READY the first to connect takes the calls, so warm up until the
  // servers that should take calls have answered.
  const warm = () => counts.has("b") && (avoidA || counts.has("a"));
  for (let i = 0; i < 500 && !warm(); i++) await client.echo({}, { waitForReady: true });
  expect(warm()).toBe(true);
  counts.clear();
  await Promise.all(Array.from({ length: 200 }, () => client.echo({}, { waitForReady: true })));
  return counts;
}

describe("random_ready on loopback", () => {
  it("spreads calls over both servers", async ({ annotate }) => {
    const counts = await run(false);
    await annotate(`200 calls: a ${counts.get("a")}, b ${counts.get("b")}`);
    expect((counts.get("a") ?? 0) + (counts.get("b") ?? 0)).toBe(200);
    expect(counts.get("a")).toBeGreaterThan(50);
    expect(counts.get("b")).toBeGreaterThan(50);
  });

  it("sends no call to the server its config avoids", async () => {
    const counts = await run(true);
    expect(counts.get("a")).toBeUndefined();
    expect(counts.get("b")).toBe(200);
  });
});
