/**
 * The parent policies over real loopback HTTP/2 (transport-h2): spill_over keeps calls
 * on its primary server, spills while it is down and comes back; drain, chosen by a
 * resolver's service config with spill_over as its child, keeps calls off a drained
 * server until a new service config lifts the drain.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createChannel, createClient, createManualResolver, createServer, type Channel, type ManualResolver, type Server } from "@grpckit/core";
import { h2Transport } from "@grpckit/transport-h2";
import { EchoService } from "../../../packages/core/test/gen/grpckit/test/v1/echo_pb.js";
import { registerDrain, registerSpillOver } from "../src/index.js";

registerSpillOver();
registerDrain();

const transport = h2Transport();
const open: { servers: Server[]; channels: Channel[] } = { servers: [], channels: [] };

afterEach(() => {
  for (const c of open.channels.splice(0)) c.close();
  for (const s of open.servers.splice(0)) s.forceShutdown();
});

async function serve(tag: string, port = 0): Promise<{ server: Server; addr: string; port: number }> {
  const server = createServer({ transport });
  server.addService(EchoService, {
    async echo() {
      return { message: tag };
    },
  });
  open.servers.push(server);
  const bound = await server.listen(`127.0.0.1:${port}`);
  return { server, addr: `127.0.0.1:${bound.port}`, port: bound.port! };
}

function channelFor(resolver: ManualResolver, options: Parameters<typeof createChannel>[1] = {}): Channel {
  const channel = createChannel("manual:///echo", { transport, resolvers: [resolver], backoff: { baseDelayMs: 50, maxDelayMs: 200 }, ...options });
  open.channels.push(channel);
  return channel;
}

type EchoClient = ReturnType<typeof createClient<typeof EchoService>>;

/** Which servers answered `n` calls made one at a time, each waiting for ready. */
async function answers(client: EchoClient, n: number): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const tag = (await client.echo({}, { waitForReady: true })).message;
    counts.set(tag, (counts.get(tag) ?? 0) + 1);
  }
  return new Map([...counts].sort());
}

/** Calls until `done` says the answers are as wanted, bounded; returns whether they became so. */
async function settle(client: EchoClient, done: (tag: string) => boolean): Promise<boolean> {
  for (let i = 0; i < 400; i++) {
    if (done((await client.echo({}, { waitForReady: true })).message)) return true;
    await new Promise((r) => setTimeout(r, 5));
  }
  return false;
}

describe("parent policies on loopback", () => {
  it("spill_over keeps calls on the primary, spills to the others while it is down, and returns to it", async ({ annotate }) => {
    const [a, b, c] = await Promise.all(["a", "b", "c"].map((t) => serve(t)));
    const resolver = createManualResolver();
    resolver.updateState({ endpoints: [a, b, c].map((s) => ({ addresses: [{ addr: s.addr }] })) });
    const client = createClient(
      EchoService,
      channelFor(resolver, { defaultServiceConfig: { loadBalancingConfig: [{ spill_over: { primaryCount: 1 } }] } }),
    );
    expect(await settle(client, (t) => t === "a")).toBe(true);
    const before = await answers(client, 100);
    expect(before).toEqual(new Map([["a", 100]]));

    const noticed = new Promise<void>((resolve) => (resolver.onResolveNow = resolve));
    a.server.forceShutdown();
    await noticed;
    const during = await answers(client, 100);
    expect([...during.keys()]).toEqual(["b", "c"]);

    await serve("a", a.port);
    expect(await settle(client, (t) => t === "a")).toBe(true);
    const after = await answers(client, 100);
    await annotate(
      `100 calls each: before a ${before.get("a")}; a down: b ${during.get("b")}, c ${during.get("c")}; a back: a ${after.get("a")}`,
    );
    expect(after).toEqual(new Map([["a", 100]]));
  });

  it("drain over spill_over keeps calls off a drained server until the resolver's service config lifts it", async () => {
    const [a, b] = await Promise.all(["a", "b"].map((t) => serve(t)));
    const resolver = createManualResolver();
    const withDrained = (drained: string[]) => ({
      endpoints: [a, b].map((s) => ({ addresses: [{ addr: s.addr }] })),
      serviceConfig: JSON.stringify({ loadBalancingConfig: [{ drain: { drained, childPolicy: [{ spill_over: { primaryCount: 1 } }] } }] }),
    });
    resolver.updateState(withDrained([a.addr]));
    const client = createClient(EchoService, channelFor(resolver));
    expect(await answers(client, 100)).toEqual(new Map([["b", 100]]));

    resolver.updateState(withDrained([]));
    expect(await settle(client, (t) => t === "a")).toBe(true);
    expect(await answers(client, 100)).toEqual(new Map([["a", 100]]));
  });
});
