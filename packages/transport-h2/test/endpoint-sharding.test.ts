/**
 * Parent policies written on core's public EndpointShardingBalancer, over real
 * loopback HTTP/2 with pick_first children: the default picker takes turns over the
 * endpoints, a parent's own picker prefers the first endpoint and spills to the next
 * while it is down, and an endpoint the resolver drops gets no more calls.
 */
import { createServer as createNetServer } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import {
  ConnectivityState,
  EndpointShardingBalancer,
  aggregateChildStates,
  createChannel,
  createClient,
  createManualResolver,
  createServer,
  pickFirstBalancer,
  registerBalancer,
  type BalancerBuilder,
  type Channel,
  type ManualResolver,
  type Server,
} from "@grpckit/core";
import { EchoService } from "../../core/test/gen/grpckit/test/v1/echo_pb.js";
import { echoImpl } from "../../core/test/support/echo-service.js";
import { h2Transport } from "../src/index.js";

declare module "@grpckit/core" {
  interface BalancerConfigMap {
    test_sharded_turns: Record<string, never>;
    test_prefer_first: Record<string, never>;
  }
}

/** Endpoint sharding as it comes: pick_first per endpoint, turns over the READY ones. */
const shardedTurns: BalancerBuilder = {
  name: "test_sharded_turns",
  build: (cc, options) => new EndpointShardingBalancer(cc, options, { childBuilder: pickFirstBalancer }),
};

/** The parent's own picker: every call to the first READY endpoint in the resolver's order. */
const preferFirst: BalancerBuilder = {
  name: "test_prefer_first",
  build: (cc, options) =>
    new EndpointShardingBalancer(cc, options, {
      childBuilder: pickFirstBalancer,
      buildState: (children) => {
        const first = children.find((c) => c.state === ConnectivityState.READY);
        return first === undefined ? aggregateChildStates(children) : { state: ConnectivityState.READY, picker: first.picker };
      },
    }),
};
registerBalancer(shardedTurns);
registerBalancer(preferFirst);

const transport = h2Transport();
const open: { servers: Server[]; channels: Channel[] } = { servers: [], channels: [] };

afterEach(() => {
  for (const c of open.channels.splice(0)) c.close();
  for (const s of open.servers.splice(0)) s.forceShutdown();
});

/** A server whose Echo answers with its tag and counts its calls. */
async function serve(tag: string, counts: Map<string, number>, port = 0): Promise<{ server: Server; addr: string; port: number }> {
  const server = createServer({ transport });
  server.addService(EchoService, {
    ...echoImpl(),
    async echo() {
      counts.set(tag, (counts.get(tag) ?? 0) + 1);
      return { message: tag };
    },
  });
  const bound = await server.listen(`127.0.0.1:${port}`);
  open.servers.push(server);
  return { server, addr: `127.0.0.1:${bound.port!}`, port: bound.port! };
}

/** A loopback port nothing listens on (bound, then closed), so connecting to it is refused. */
async function refusedAddr(): Promise<string> {
  const s = createNetServer();
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return `127.0.0.1:${port}`;
}

function channelFor(policy: "test_sharded_turns" | "test_prefer_first", resolver: ManualResolver): Channel {
  const channel = createChannel("manual:///echo", {
    transport,
    loadBalancingPolicy: policy,
    backoff: { baseDelayMs: 50, maxDelayMs: 200 },
    resolvers: [resolver],
  });
  open.channels.push(channel);
  return channel;
}

type EchoClient = ReturnType<typeof createClient<typeof EchoService>>;

/** Calls until every tag has answered, bounded. */
async function warmUp(client: EchoClient, tags: string[]): Promise<void> {
  const seen = new Set<string>();
  for (let i = 0; i < 500 && seen.size < tags.length; i++) {
    seen.add((await client.echo({}, { waitForReady: true })).message);
    if (seen.size < tags.length) await new Promise((r) => setTimeout(r, 2));
  }
  expect([...seen].sort()).toEqual([...tags].sort());
}

/** Calls until one is answered by `tag`, bounded; returns whether one was. */
async function until(client: EchoClient, tag: string): Promise<boolean> {
  for (let i = 0; i < 400; i++) {
    if ((await client.echo({}, { waitForReady: true })).message === tag) return true;
    await new Promise((r) => setTimeout(r, 5));
  }
  return false;
}

describe("endpoint sharding on loopback", () => {
  it("runs one pick_first per endpoint, connects an endpoint through its second address, and takes turns: 300 calls, 100 per server", async ({ annotate }) => {
    const counts = new Map<string, number>();
    const [a, b, c] = await Promise.all(["a", "b", "c"].map((t) => serve(t, counts)));
    const resolver = createManualResolver();
    // Endpoint b lists a refused address first: its pick_first child goes on to the next.
    resolver.updateState({
      endpoints: [{ addresses: [{ addr: a.addr }] }, { addresses: [{ addr: await refusedAddr() }, { addr: b.addr }] }, { addresses: [{ addr: c.addr }] }],
    });
    const client = createClient(EchoService, channelFor("test_sharded_turns", resolver));
    await warmUp(client, ["a", "b", "c"]);
    counts.clear();
    for (let i = 0; i < 300; i++) await client.echo({});
    await annotate(`300 calls: a ${counts.get("a")}, b ${counts.get("b")}, c ${counts.get("c")}`);
    expect(new Map([...counts].sort())).toEqual(new Map([["a", 100], ["b", 100], ["c", 100]]));
  });

  it("a parent's own picker sends every call to the first endpoint, spills to the second while the first is down, and returns when it is back", async ({ annotate }) => {
    const counts = new Map<string, number>();
    const [a, b] = await Promise.all(["a", "b"].map((t) => serve(t, counts)));
    const resolver = createManualResolver();
    resolver.updateState({ endpoints: [{ addresses: [{ addr: a.addr }] }, { addresses: [{ addr: b.addr }] }] });
    const client = createClient(EchoService, channelFor("test_prefer_first", resolver));
    expect(await until(client, "a")).toBe(true);
    counts.clear();
    for (let i = 0; i < 100; i++) await client.echo({});
    expect(counts.get("a")).toBe(100);
    expect(counts.get("b")).toBeUndefined();

    // a goes away once its child has seen the connection go: every call waits for ready and reaches b.
    const noticed = new Promise<void>((resolve) => (resolver.onResolveNow = resolve));
    a.server.forceShutdown();
    await noticed;
    counts.clear();
    const answered: string[] = [];
    for (let i = 0; i < 100; i++) answered.push((await client.echo({}, { waitForReady: true })).message);
    expect(new Set(answered)).toEqual(new Set(["b"]));

    // Back on its port: the child reconnects by itself and the calls return to a.
    await serve("a", counts, a.port);
    expect(await until(client, "a")).toBe(true);
    counts.clear();
    for (let i = 0; i < 100; i++) await client.echo({});
    await annotate(`while a was down: 100 calls, all to b; after a came back: a ${counts.get("a")}, b ${counts.get("b") ?? 0}`);
    expect(counts.get("a")).toBe(100);
  });

  it("stops sending calls to an endpoint the resolver drops, and starts one it adds", async () => {
    const counts = new Map<string, number>();
    const [a, b, c] = await Promise.all(["a", "b", "c"].map((t) => serve(t, counts)));
    const resolver = createManualResolver();
    resolver.updateState({ endpoints: [{ addresses: [{ addr: a.addr }] }, { addresses: [{ addr: b.addr }] }] });
    const client = createClient(EchoService, channelFor("test_sharded_turns", resolver));
    await warmUp(client, ["a", "b"]);

    resolver.updateState({ endpoints: [{ addresses: [{ addr: b.addr }] }, { addresses: [{ addr: c.addr }] }] });
    await warmUp(client, ["b", "c"]);
    counts.clear();
    for (let i = 0; i < 100; i++) await client.echo({});
    expect(counts.get("a")).toBeUndefined();
    expect(counts.get("b")).toBe(50);
    expect(counts.get("c")).toBe(50);
  });
});
