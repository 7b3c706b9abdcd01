/**
 * pick_first over real loopback HTTP/2: a dead address listed first is skipped for the
 * live one after it, with every listed server alive all calls go to the first, and when
 * that server goes away the next call connects to the second.
 */
import { createServer as createNetServer } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { ConnectivityState, createChannel, createClient, createServer, type Channel, type Server } from "@grpckit/core";
import { http2Transport } from "@grpckit/transport-http2";
import { EchoService } from "../../core/test/gen/grpckit/test/v1/echo_pb.js";
import { echoImpl } from "../../core/test/support/echo-service.js";
import { registerPickFirst } from "../src/index.js";

registerPickFirst();

const transport = http2Transport();
const open: { servers: Server[]; channels: Channel[] } = { servers: [], channels: [] };

afterEach(() => {
  for (const c of open.channels.splice(0)) c.close();
  for (const s of open.servers.splice(0)) s.forceShutdown();
});

/** A server whose Echo answers with its own tag and counts its calls in `counts`. */
async function serve(tag: string, counts: Map<string, number>): Promise<number> {
  return (await serveWith(tag, counts)).port;
}

async function serveWith(tag: string, counts: Map<string, number>): Promise<{ server: Server; port: number }> {
  const server = createServer({ transport });
  server.addService(EchoService, {
    ...echoImpl(),
    async echo() {
      counts.set(tag, (counts.get(tag) ?? 0) + 1);
      return { message: tag };
    },
  });
  const bound = await server.listen("127.0.0.1:0");
  open.servers.push(server);
  return { server, port: bound.port! };
}

/** A port nothing listens on: bound once by the OS, then released. */
async function deadPort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

function pickFirstChannel(target: string): Channel {
  const channel = createChannel(target, { transport, backoff: { baseDelayMs: 50, maxDelayMs: 200 } });
  open.channels.push(channel);
  return channel;
}

describe("pick_first on loopback", () => {
  it("skips a dead first address and calls the live second one", async () => {
    const counts = new Map<string, number>();
    const live = await serve("live", counts);
    const dead = await deadPort();
    const client = createClient(EchoService, pickFirstChannel(`ipv4:127.0.0.1:${dead},127.0.0.1:${live}`));
    const res = await client.echo({ message: "hi" }, { waitForReady: true, timeoutMs: 5000 });
    expect(res.message).toBe("live");
    for (let i = 0; i < 20; i++) expect((await client.echo({})).message).toBe("live");
  });

  it("sends every call to the first listed server when both are live", async () => {
    const counts = new Map<string, number>();
    const first = await serve("first", counts);
    const second = await serve("second", counts);
    const client = createClient(EchoService, pickFirstChannel(`ipv4:127.0.0.1:${first},127.0.0.1:${second}`));
    for (let i = 0; i < 50; i++) await client.echo({}, { waitForReady: true, timeoutMs: 5000 });
    await Promise.all(Array.from({ length: 50 }, () => client.echo({})));
    expect(counts).toEqual(new Map([["first", 100]]));
  });

  it("goes IDLE when the first server's connection is lost, and the next calls connect to the second", async () => {
    const counts = new Map<string, number>();
    const first = await serveWith("first", counts);
    const second = await serve("second", counts);
    const channel = pickFirstChannel(`ipv4:127.0.0.1:${first.port},127.0.0.1:${second}`);
    const client = createClient(EchoService, channel);
    expect((await client.echo({}, { waitForReady: true, timeoutMs: 5000 })).message).toBe("first");
    expect(channel.getConnectivityState()).toBe(ConnectivityState.READY);
    first.server.forceShutdown();
    const next = await channel.waitForStateChange(ConnectivityState.READY, AbortSignal.timeout(5000));
    expect(next).toBe(ConnectivityState.IDLE);
    for (let i = 0; i < 10; i++) expect((await client.echo({}, { timeoutMs: 5000 })).message).toBe("second");
    expect(channel.getConnectivityState()).toBe(ConnectivityState.READY);
  });
});
