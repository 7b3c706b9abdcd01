/**
 * Keepalive over real loopback connections: the client's PINGs (gRFC A8), the server's
 * enforcement of them, and the client backing off when told it pings too often.
 * Intervals run in milliseconds through the transport's internal constructor, which
 * takes the minimum intervals as a parameter.
 */
import {
  channelzRegistry,
  Code,
  createChannel,
  createClient,
  createServer,
  enableChannelz,
  Http2ErrorCode,
  insecureCredentials,
  keepaliveLimits,
  type Channel,
  type ClientTransport,
  type Server,
  type TransportBuilder,
} from "@grpckit/core";
import http2 from "node:http2";
import { afterEach, describe, expect, it } from "vitest";
import { EchoService } from "../../core/test/gen/grpckit/test/v1/echo_pb.js";
import { echoImpl } from "../../core/test/support/echo-service.js";
import { startBlackholeProxy } from "./blackhole-proxy.js";
import { ClientRecorder, delay, requestHeaders, transportWith, within, type ManagementOptions } from "./harness.js";

const noMinimum = { minClientTimeMs: 0, minServerTimeMs: 0 };
const insecure = insecureCredentials();
const cleanups: (() => unknown)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function fastTransport(options: ManagementOptions): TransportBuilder {
  return transportWith(options, noMinimum);
}

interface Connection {
  readonly transport: ClientTransport;
  readonly goaways: number[];
  readonly closed: Promise<Error | undefined>;
}

async function connectWith(builder: TransportBuilder, address: string): Promise<Connection> {
  const goaways: number[] = [];
  let onClosed!: (error: Error | undefined) => void;
  const closed = new Promise<Error | undefined>((resolve) => (onClosed = resolve));
  const transport = await builder.connect(address, {
    authority: "localhost",
    credentials: insecure,
    connectTimeoutMs: 5000,
    onGoaway: (code) => goaways.push(code),
    onClose: onClosed,
  });
  cleanups.push(() => transport.destroy());
  return { transport, goaways, closed };
}

interface PingedSession {
  readonly session: http2.ServerHttp2Session;
  /** performance.now() of each PING received. */
  readonly pings: number[];
}

/** A bare node:http2 server that records the PINGs each connection sends and never answers a request. */
async function startPingServer(onPing?: (s: PingedSession) => void): Promise<{ address: string; sessions: PingedSession[] }> {
  const server = http2.createServer();
  const sessions: PingedSession[] = [];
  server.on("session", (session) => {
    const rec: PingedSession = { session, pings: [] };
    sessions.push(rec);
    session.on("error", () => {});
    session.on("ping", () => {
      rec.pings.push(performance.now());
      onPing?.(rec);
    });
  });
  server.on("stream", () => {});
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sessions) s.session.destroy();
        server.close(() => resolve());
      }),
  );
  const port = (server.address() as { port: number }).port;
  return { address: `127.0.0.1:${port}`, sessions };
}

async function echoServer(builder: TransportBuilder): Promise<string> {
  const server: Server = createServer({ transport: builder });
  server.addService(EchoService, echoImpl());
  const bound = await server.listen("127.0.0.1:0");
  cleanups.push(() => server.forceShutdown());
  return `127.0.0.1:${bound.port}`;
}

function channelTo(address: string, transport: TransportBuilder): Channel {
  const channel = createChannel(address, { transport, backoff: { baseDelayMs: 50, maxDelayMs: 200 } });
  cleanups.push(() => channel.close());
  return channel;
}

describe("client keepalive", () => {
  it("a call on a connection that went silent fails UNAVAILABLE with the keepalive reason, and the next call reconnects", async () => {
    const serverAddress = await echoServer(transportWith({ keepaliveEnforcement: { minTimeMs: 0, permitWithoutCalls: true } }, keepaliveLimits));
    const proxy = await startBlackholeProxy(serverAddress);
    cleanups.push(() => proxy.close());
    const timeMs = 300;
    const timeoutMs = 300;
    const client = createClient(EchoService, channelTo(proxy.address, fastTransport({ keepalive: { timeMs, timeoutMs } })));
    expect((await client.echo({ message: "before" })).message).toBe("before");

    const call = client.echo({ message: "stuck", delayMs: 30_000 }).then(
      () => undefined,
      (e: unknown) => e as { code: Code; rawMessage: string },
    );
    await delay(50);
    proxy.blackhole();
    const started = performance.now();
    const err = await within(call, 10_000, "the call on the silent connection to fail");
    const elapsed = performance.now() - started;
    expect(err?.code).toBe(Code.UNAVAILABLE);
    expect(err?.rawMessage).toContain(`keepalive ping not acknowledged within ${timeoutMs} ms`);
    expect(elapsed).toBeLessThan(3 * (timeMs + timeoutMs));

    proxy.restore();
    expect((await client.echo({ message: "after" }, { waitForReady: true, timeoutMs: 5000 })).message).toBe("after");
    expect(proxy.accepted()).toBe(2);
  });

  it("sends no PING on a connection without calls when permitWithoutCalls is false, and pings once a call is open", async () => {
    const server = await startPingServer();
    const c = await connectWith(fastTransport({ keepalive: { timeMs: 100, timeoutMs: 5000 } }), server.address);
    await delay(600);
    expect(server.sessions[0]!.pings).toHaveLength(0);

    const stream = c.transport.openStream(requestHeaders, new ClientRecorder());
    cleanups.push(() => stream.reset());
    await delay(600);
    expect(server.sessions[0]!.pings.length).toBeGreaterThanOrEqual(2);
  });

  it("pings a connection without calls when permitWithoutCalls is true", async () => {
    const server = await startPingServer();
    await connectWith(fastTransport({ keepalive: { timeMs: 100, timeoutMs: 5000, permitWithoutCalls: true } }), server.address);
    await delay(600);
    expect(server.sessions[0]!.pings.length).toBeGreaterThanOrEqual(2);
  });

  it("counts the keepalive PINGs it sends, as many as the server received", async () => {
    const server = await startPingServer();
    const c = await connectWith(fastTransport({ keepalive: { timeMs: 100, timeoutMs: 5000, permitWithoutCalls: true } }), server.address);
    await delay(600);
    const received = server.sessions[0]!.pings.length;
    expect(received).toBeGreaterThanOrEqual(2);
    const sent = c.transport.keepalivesSent?.();
    // A PING may be on its way while the two are read.
    expect(sent === received || sent === received + 1, `sent ${sent}, received ${received}`).toBe(true);
  });

  it("channelz reports the keepalive PINGs of a channel's connection and of the server's", async () => {
    enableChannelz();
    const registry = channelzRegistry()!;
    const keepalive = { timeMs: 100, timeoutMs: 5000, permitWithoutCalls: true };
    // One side pings per connection: a keepalive PING is sent only when nothing arrived
    // for timeMs, so two pinging sides would each count the other's PINGs as activity.
    const clientPings = await echoServer(transportWith({ keepaliveEnforcement: { minTimeMs: 0, permitWithoutCalls: true } }, noMinimum));
    const serverPings = await echoServer(
      transportWith({ serverKeepalive: keepalive, keepaliveEnforcement: { minTimeMs: 0, permitWithoutCalls: true } }, noMinimum),
    );
    const pinging = createClient(EchoService, channelTo(clientPings, fastTransport({ keepalive })));
    const quiet = createClient(EchoService, channelTo(serverPings, fastTransport({})));
    expect((await pinging.echo({ message: "hi" })).message).toBe("hi");
    expect((await quiet.echo({ message: "hi" })).message).toBe("hi");
    const clientSockets = () =>
      registry
        .topChannels()
        .items.filter((c) => c.target === clientPings)
        .flatMap((c) => [...c.subchannels].flatMap((sc) => [...sc.sockets]));
    const serverSockets = () => registry.serverList().items.flatMap((sv) => registry.serverSockets(sv).items);
    // Two PINGs each take 200 ms of keepalive time; a busy machine may take longer.
    for (let i = 0; i < 50 && !((clientSockets()[0]?.keepAlivesSent ?? 0) >= 2 && Math.max(0, ...serverSockets().map((s) => s.keepAlivesSent)) >= 2); i++) {
      await delay(100);
    }
    expect(clientSockets()).toHaveLength(1);
    expect(clientSockets()[0]!.keepAlivesSent).toBeGreaterThanOrEqual(2);
    expect(serverSockets().length).toBeGreaterThanOrEqual(2);
    expect(Math.max(...serverSockets().map((s) => s.keepAlivesSent))).toBeGreaterThanOrEqual(2);
  });

  it("raises a keepalive time below 10 s to 10 s", async () => {
    const server = await startPingServer();
    await connectWith(transportWith({ keepalive: { timeMs: 100, permitWithoutCalls: true } }, keepaliveLimits), server.address);
    await delay(600);
    expect(server.sessions).toHaveLength(1);
    expect(server.sessions[0]!.pings).toHaveLength(0);
  });

  it("a GOAWAY ENHANCE_YOUR_CALM too_many_pings doubles the keepalive time of the transport's later connections", async () => {
    const server = await startPingServer((s) => {
      if (s === server.sessions[0] && s.pings.length === 2) {
        s.session.goaway(Http2ErrorCode.ENHANCE_YOUR_CALM, 0, Buffer.from("too_many_pings"));
        s.session.destroy();
      }
    });
    const timeMs = 200;
    const builder = fastTransport({ keepalive: { timeMs, timeoutMs: 5000, permitWithoutCalls: true } });
    const first = await connectWith(builder, server.address);
    await within(first.closed, 5000, "the first connection to close");
    expect(first.goaways).toContain(Http2ErrorCode.ENHANCE_YOUR_CALM);
    const [a, b] = server.sessions[0]!.pings;
    expect(b! - a!).toBeGreaterThanOrEqual(timeMs - 5);

    await connectWith(builder, server.address);
    const second = server.sessions[1];
    for (let i = 0; i < 40 && (second === undefined || second.pings.length < 2); i++) await delay(50);
    const pings = server.sessions[1]!.pings;
    expect(pings.length).toBeGreaterThanOrEqual(2);
    expect(pings[1]! - pings[0]!).toBeGreaterThanOrEqual(2 * timeMs - 5);
  });
});

describe("keepalive enforcement", () => {
  /** A bare node:http2 client on the listener of `builder`. */
  async function rawClient(builder: TransportBuilder) {
    const listener = await builder.listen("127.0.0.1:0", { credentials: insecure, onStream: () => {} });
    cleanups.push(() => listener.close());
    const session = http2.connect(`http://${listener.address}`);
    cleanups.push(() => session.destroy());
    session.on("error", () => {});
    const goaway = new Promise<{ code: number; data: string }>((resolve) =>
      session.on("goaway", (code: number, _last: number, data?: Buffer) => resolve({ code, data: data?.toString() ?? "" })),
    );
    const closed = new Promise<void>((resolve) => session.once("close", () => resolve()));
    await new Promise<void>((resolve) => session.once("remoteSettings", () => resolve()));
    /** Sends a PING; settles with whether it was acknowledged. */
    const ping = () => new Promise<boolean>((resolve) => session.ping((err) => resolve(err === null)));
    return { session, goaway, closed, ping };
  }

  it("a client pinging without calls is sent GOAWAY ENHANCE_YOUR_CALM with too_many_pings and disconnected on its third strike", async () => {
    const c = await rawClient(transportWith({}, keepaliveLimits));
    const acked: boolean[] = [];
    for (let i = 0; i < 3; i++) acked.push(await c.ping());
    expect(acked).toEqual([true, true, true]);
    void c.ping();
    const goaway = await within(c.goaway, 5000, "the GOAWAY");
    expect(goaway).toEqual({ code: Http2ErrorCode.ENHANCE_YOUR_CALM, data: "too_many_pings" });
    await within(c.closed, 5000, "the connection to close");
  });

  it("pings no closer together than minTimeMs during a call earn no strike", async () => {
    const c = await rawClient(transportWith({ keepaliveEnforcement: { minTimeMs: 50 } }, keepaliveLimits));
    const stream = c.session.request({ ":method": "POST", ":path": "/grpckit.test.Echo/Call" }, { endStream: false });
    stream.on("error", () => {});
    for (let i = 0; i < 5; i++) {
      await delay(80);
      expect(await c.ping()).toBe(true);
    }
    expect(c.session.destroyed).toBe(false);
  });

  it("pings closer together than minTimeMs during a call are struck", async () => {
    const c = await rawClient(transportWith({ keepaliveEnforcement: { minTimeMs: 1000 } }, keepaliveLimits));
    const stream = c.session.request({ ":method": "POST", ":path": "/grpckit.test.Echo/Call" }, { endStream: false });
    stream.on("error", () => {});
    for (let i = 0; i < 4; i++) void c.ping();
    expect((await within(c.goaway, 5000, "the GOAWAY")).code).toBe(Http2ErrorCode.ENHANCE_YOUR_CALM);
  });

  it("with permitWithoutCalls, pings without calls at minTimeMs earn no strike", async () => {
    const c = await rawClient(transportWith({ keepaliveEnforcement: { minTimeMs: 50, permitWithoutCalls: true } }, keepaliveLimits));
    for (let i = 0; i < 5; i++) {
      await delay(80);
      expect(await c.ping()).toBe(true);
    }
    expect(c.session.destroyed).toBe(false);
  });

  it("a grpckit client whose keepalive is too frequent for the server gets GOAWAY ENHANCE_YOUR_CALM", async () => {
    const listener = await transportWith({}, keepaliveLimits).listen("127.0.0.1:0", { credentials: insecure, onStream: () => {} });
    cleanups.push(() => listener.close());
    const c = await connectWith(fastTransport({ keepalive: { timeMs: 50, timeoutMs: 5000, permitWithoutCalls: true } }), listener.address);
    const error = await within(c.closed, 5000, "the connection to close");
    expect(c.goaways).toContain(Http2ErrorCode.ENHANCE_YOUR_CALM);
    expect(error?.message).toContain(`GOAWAY ENHANCE_YOUR_CALM "too_many_pings"`);
  });
});

describe("server keepalive", () => {
  it("closes a connection whose client stops answering its PINGs", async () => {
    const closedConnections: string[] = [];
    let onClosed!: () => void;
    const connectionClosed = new Promise<void>((resolve) => (onClosed = resolve));
    const listener = await fastTransport({ serverKeepalive: { timeMs: 100, timeoutMs: 200 } }).listen("127.0.0.1:0", {
      credentials: insecure,
      onStream: () => {},
      onConnectionClose: (conn) => {
        closedConnections.push(conn.peer.address);
        onClosed();
      },
    });
    cleanups.push(() => listener.close());
    const proxy = await startBlackholeProxy(listener.address);
    cleanups.push(() => proxy.close());
    await connectWith(transportWith({}, keepaliveLimits), proxy.address);
    await delay(300);
    expect(closedConnections).toHaveLength(0);
    proxy.blackhole();
    await within(connectionClosed, 3000, "the server to close the silent connection");
    expect(closedConnections).toHaveLength(1);
  });
});
