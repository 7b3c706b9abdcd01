/**
 * round_robin over real loopback HTTP/2: three servers share the calls evenly, a
 * server that goes away drops out of the rotation without failing calls that wait for
 * ready, and rejoins once it is back on its port.
 */
import { afterEach, describe, expect, it } from "vitest";
import { Code, createChannel, createClient, createManualResolver, createServer, type Channel, type Server } from "@grpckit/core";
import { http2Transport } from "@grpckit/transport-http2";
import { EchoService } from "../../core/test/gen/grpckit/test/v1/echo_pb.js";
import { echoImpl } from "../../core/test/support/echo-service.js";
import { registerRoundRobin } from "../src/index.js";

registerRoundRobin();

const transport = http2Transport();
const open: { servers: Server[]; channels: Channel[] } = { servers: [], channels: [] };

afterEach(() => {
  for (const c of open.channels.splice(0)) c.close();
  for (const s of open.servers.splice(0)) s.forceShutdown();
});

/** A server whose Echo answers with its own tag and counts its calls in `counts`. */
async function serve(tag: string, counts: Map<string, number>, port = 0): Promise<{ server: Server; port: number }> {
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
  return { server, port: bound.port! };
}

function roundRobinChannel(target: string, resolvers = [createManualResolver()]): Channel {
  const channel = createChannel(target, {
    transport,
    loadBalancingPolicy: "round_robin",
    backoff: { baseDelayMs: 50, maxDelayMs: 200 },
    resolvers,
  });
  open.channels.push(channel);
  return channel;
}

/** Calls until every tag has answered (all subchannels READY), bounded. */
async function warmUp(client: ReturnType<typeof createClient<typeof EchoService>>, tags: string[]): Promise<void> {
  const seen = new Set<string>();
  for (let i = 0; i < 500 && seen.size < tags.length; i++) {
    seen.add((await client.echo({}, { waitForReady: true })).message);
    if (seen.size < tags.length) await new Promise((r) => setTimeout(r, 2));
  }
  expect([...seen].sort()).toEqual([...tags].sort());
}

describe("round_robin on loopback", () => {
  it("spreads 3,000 calls evenly over three servers", async ({ annotate }) => {
    const counts = new Map<string, number>();
    const servers = await Promise.all(["a", "b", "c"].map((t) => serve(t, counts)));
    const resolver = createManualResolver();
    resolver.updateState({ endpoints: servers.map((s) => ({ addresses: [{ addr: `127.0.0.1:${s.port}` }] })) });
    const client = createClient(EchoService, roundRobinChannel("manual:///echo", [resolver]));
    await warmUp(client, ["a", "b", "c"]);
    counts.clear();
    for (let batch = 0; batch < 30; batch++) {
      await Promise.all(Array.from({ length: 100 }, () => client.echo({ message: "x" })));
    }
    await annotate(`calls per server: a ${counts.get("a")}, b ${counts.get("b")}, c ${counts.get("c")}`);
    for (const tag of ["a", "b", "c"]) {
      expect(counts.get(tag)).toBeGreaterThanOrEqual(950);
      expect(counts.get(tag)).toBeLessThanOrEqual(1050);
    }
  });

  it("resolves an ipv4: target listing the three ports", async () => {
    const counts = new Map<string, number>();
    const servers = await Promise.all(["a", "b", "c"].map((t) => serve(t, counts)));
    const target = `ipv4:${servers.map((s) => `127.0.0.1:${s.port}`).join(",")}`;
    const client = createClient(EchoService, roundRobinChannel(target, []));
    await warmUp(client, ["a", "b", "c"]);
    counts.clear();
    for (let i = 0; i < 300; i++) await client.echo({});
    expect([...counts.values()]).toEqual([100, 100, 100]);
  });

  it("loses no call that waits for ready when a server is killed, and the server rejoins after a restart", async ({ annotate }) => {
    const counts = new Map<string, number>();
    const servers = await Promise.all(["a", "b", "c"].map((t) => serve(t, counts)));
    const resolver = createManualResolver();
    resolver.updateState({ endpoints: servers.map((s) => ({ addresses: [{ addr: `127.0.0.1:${s.port}` }] })) });
    const client = createClient(EchoService, roundRobinChannel("manual:///echo", [resolver]));
    await warmUp(client, ["a", "b", "c"]);

    const results: string[] = [];
    for (let i = 0; i < 600; i++) {
      if (i === 200) {
        // round_robin asks to re-resolve once it sees b's connection gone: the run
        // goes on from there, with b down.
        const noticed = new Promise<void>((resolve) => (resolver.onResolveNow = resolve));
        servers[1].server.forceShutdown();
        await noticed;
      }
      results.push((await client.echo({ message: String(i) }, { waitForReady: true })).message);
    }
    expect(results).toHaveLength(600);
    expect(results.slice(0, 200)).toContain("b");
    expect(results.slice(200)).not.toContain("b");
    expect(new Set(results.slice(200))).toEqual(new Set(["a", "c"]));

    await serve("b", counts, servers[1].port);
    let rejoined = false;
    for (let i = 0; i < 400 && !rejoined; i++) {
      rejoined = (await client.echo({}, { waitForReady: true })).message === "b";
      if (!rejoined) await new Promise((r) => setTimeout(r, 5));
    }
    expect(rejoined).toBe(true);
    counts.clear();
    for (let i = 0; i < 300; i++) await client.echo({}, { waitForReady: true });
    await annotate(`600 calls across the kill, 600 answered; after the restart: ${[...counts].sort().map(([k, v]) => `${k} ${v}`).join(", ")}`);
    expect(new Map([...counts].sort())).toEqual(new Map([["a", 100], ["b", 100], ["c", 100]]));
  });

  it("without waitForReady, calls fail only while no server is READY", async () => {
    const counts = new Map<string, number>();
    const servers = await Promise.all(["a", "b"].map((t) => serve(t, counts)));
    const resolver = createManualResolver();
    resolver.updateState({ endpoints: servers.map((s) => ({ addresses: [{ addr: `127.0.0.1:${s.port}` }] })) });
    const channel = roundRobinChannel("manual:///echo", [resolver]);
    const client = createClient(EchoService, channel);
    await warmUp(client, ["a", "b"]);

    // One server down, once the balancer has seen it: every call still succeeds on the other.
    let noticed = new Promise<void>((resolve) => (resolver.onResolveNow = resolve));
    servers[0].server.forceShutdown();
    await noticed;
    for (let i = 0; i < 50; i++) expect((await client.echo({})).message).toBe("b");

    // Both down: calls fail fast with UNAVAILABLE once no backend is READY.
    noticed = new Promise<void>((resolve) => (resolver.onResolveNow = resolve));
    servers[1].server.forceShutdown();
    await noticed;
    let failed: { code?: number } | undefined;
    for (let i = 0; i < 200 && failed === undefined; i++) {
      failed = await client.echo({}).then(
        () => undefined,
        (e) => e,
      );
      if (failed === undefined) await new Promise((r) => setTimeout(r, 10));
    }
    expect(failed?.code).toBe(Code.UNAVAILABLE);

    // One back: calls succeed again without waiting for ready.
    await serve("a", counts, servers[0].port);
    let ok = false;
    for (let i = 0; i < 200 && !ok; i++) {
      ok = await client.echo({}).then(
        (r) => r.message === "a",
        () => false,
      );
      if (!ok) await new Promise((r) => setTimeout(r, 10));
    }
    expect(ok).toBe(true);
  });
});
