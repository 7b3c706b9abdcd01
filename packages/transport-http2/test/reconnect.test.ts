/**
 * A channel over real loopback HTTP/2 follows its server through restarts: it goes
 * IDLE when the connection is lost, reconnects on the next call, and a call that waits
 * for ready rides out the time the server is down.
 */
import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { Code, ConnectivityState, createChannel, createClient, createServer, type Channel, type Server } from "@grpckit/core";
import { http2Transport } from "../src/index.js";
import { EchoService } from "../../core/test/gen/grpckit/test/v1/echo_pb.js";
import { echoImpl } from "../../core/test/support/echo-service.js";

const transport = http2Transport();
const open: { servers: Server[]; channels: Channel[] } = { servers: [], channels: [] };

afterEach(() => {
  for (const c of open.channels) c.close();
  for (const s of open.servers) s.forceShutdown();
  open.servers = [];
  open.channels = [];
});

async function serve(port = 0): Promise<{ server: Server; port: number }> {
  const server = createServer({ transport });
  server.addService(EchoService, echoImpl());
  const bound = await server.listen(`127.0.0.1:${port}`);
  open.servers.push(server);
  return { server, port: bound.port! };
}

function channelTo(port: number): Channel {
  const channel = createChannel(`127.0.0.1:${port}`, { transport, backoff: { baseDelayMs: 50, maxDelayMs: 200 } });
  open.channels.push(channel);
  return channel;
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe("a channel whose server restarts", () => {
  it("is IDLE before the first call, connects lazily and is READY after it", async () => {
    const { port } = await serve();
    const channel = channelTo(port);
    expect(channel.getConnectivityState()).toBe(ConnectivityState.IDLE);
    const client = createClient(EchoService, channel);
    expect((await client.echo({ message: "first" })).message).toBe("first");
    expect(channel.getConnectivityState()).toBe(ConnectivityState.READY);
  });

  it("reconnects to a server restarted on the same port and the next call succeeds", async () => {
    const first = await serve();
    const channel = channelTo(first.port);
    const client = createClient(EchoService, channel);
    expect((await client.echo({ message: "before" })).message).toBe("before");

    first.server.forceShutdown();
    await channel.waitForStateChange(ConnectivityState.READY, AbortSignal.timeout(5000));
    await serve(first.port);

    expect((await client.echo({ message: "after" }, { waitForReady: true, timeoutMs: 5000 })).message).toBe("after");
    expect(channel.getConnectivityState()).toBe(ConnectivityState.READY);
  });

  it("a call without waitForReady to a port nobody listens on fails fast with UNAVAILABLE naming the address", async () => {
    const port = await freePort();
    const client = createClient(EchoService, channelTo(port));
    const started = Date.now();
    const err = await client.echo({}).then(
      () => undefined,
      (e) => e,
    );
    expect(err?.code).toBe(Code.UNAVAILABLE);
    expect(err?.rawMessage).toContain(`127.0.0.1:${port}`);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it("a call with waitForReady waits while the server is down and succeeds once it listens", async () => {
    const port = await freePort();
    const client = createClient(EchoService, channelTo(port));
    const call = client.echo({ message: "patient" }, { waitForReady: true, timeoutMs: 8000 });
    await new Promise((r) => setTimeout(r, 300));
    await serve(port);
    expect((await call).message).toBe("patient");
  });

  it("a call in flight when the server dies ends with UNAVAILABLE or CANCELLED and a reason", async () => {
    const { server, port } = await serve();
    const client = createClient(EchoService, channelTo(port));
    await client.echo({});
    const call = client.echo({ delayMs: 5000 }).then(
      () => undefined,
      (e) => e,
    );
    await new Promise((r) => setTimeout(r, 100));
    server.forceShutdown();
    const err = await call;
    expect([Code.UNAVAILABLE, Code.CANCELLED]).toContain(err?.code);
    expect(err?.rawMessage.length).toBeGreaterThan(10);
  });
});
