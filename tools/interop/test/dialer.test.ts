/**
 * A channel's custom dialer (grpc-go's WithContextDialer) on both socket transports:
 * every connection of the channel comes from it, the channel's credentials run their
 * TLS handshake on the socket it returns, its failure is the connection's, and its
 * signal aborts when the connect times out.
 */
import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { Code, createChannel, createClient, createServer, type Channel, type Dialer, type Server, type TransportBuilder } from "@grpckit/core";
import { tlsChannelCredentials, tlsServerCredentials } from "@grpckit/credentials-tls";
import { h2Transport } from "@grpckit/transport-h2";
import { http2Transport } from "@grpckit/transport-http2";
import { TestService } from "../src/gen/grpc/testing/test_pb.js";
import { defaultServerHostOverride, readPem, testCaFile, testServerCertFile, testServerKeyFile } from "../src/test-certificates.js";

const open: { servers: Server[]; channels: Channel[]; sockets: net.Socket[] } = { servers: [], channels: [], sockets: [] };
afterEach(() => {
  for (const c of open.channels.splice(0)) c.close();
  for (const s of open.servers.splice(0)) s.forceShutdown();
  for (const s of open.sockets.splice(0)) s.destroy();
});

/** A dialer that logs each address it dials, waits `delayMs`, then connects with net.connect. */
function countingDialer(delayMs = 0) {
  const dialed: string[] = [];
  const localPorts: number[] = [];
  const dialer: Dialer = async (address, { signal }) => {
    dialed.push(address);
    if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
    signal.throwIfAborted();
    const { hostname, port } = new URL(`http://${address}`);
    const socket = net.connect({ host: hostname.replace(/^\[|\]$/g, ""), port: Number(port) });
    open.sockets.push(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", reject);
    });
    localPorts.push(socket.localPort!);
    return socket;
  };
  return { dialer, dialed, localPorts };
}

const transports: [string, () => TransportBuilder][] = [
  ["transport-h2", () => h2Transport()],
  ["transport-http2", () => http2Transport()],
];

describe.each(transports)("a custom dialer on %s", (_name, makeTransport) => {
  async function serve(tls = false) {
    const transport = makeTransport();
    const server = createServer({
      transport,
      credentials: tls ? tlsServerCredentials({ cert: readPem(testServerCertFile), key: readPem(testServerKeyFile) }) : undefined,
    });
    const remotePorts: number[] = [];
    server.addService(TestService, {
      unaryCall(req, ctx) {
        remotePorts.push(Number(ctx.peer.address.slice(ctx.peer.address.lastIndexOf(":") + 1)));
        return { payload: req.payload };
      },
    });
    const { address } = await server.listen("127.0.0.1:0");
    open.servers.push(server);
    return { transport, address, remotePorts };
  }

  it("makes every connection of the channel, with the latency it adds", async () => {
    const { transport, address, remotePorts } = await serve();
    const { dialer, dialed, localPorts } = countingDialer(60);
    const channel = createChannel(address, { transport, dialer });
    open.channels.push(channel);
    const client = createClient(TestService, channel);
    const started = performance.now();
    await client.unaryCall({});
    const firstCallMs = performance.now() - started;
    for (let i = 0; i < 19; i++) await client.unaryCall({});
    expect(remotePorts).toHaveLength(20);
    expect(dialed).toEqual([address]);
    // Every call came over the dialer's socket: the server saw its port.
    expect(new Set(remotePorts)).toEqual(new Set(localPorts));
    // The first call waited for the dialer's 60 ms.
    expect(firstCallMs).toBeGreaterThanOrEqual(60);
  });

  it("hands its socket to the channel's TLS credentials for the handshake", async () => {
    const { transport, address, remotePorts } = await serve(true);
    const { dialer, localPorts } = countingDialer();
    const channel = createChannel(address, {
      transport,
      dialer,
      credentials: tlsChannelCredentials({ ca: readPem(testCaFile) }),
      authority: defaultServerHostOverride,
    });
    open.channels.push(channel);
    await createClient(TestService, channel).unaryCall({});
    expect(remotePorts).toEqual(localPorts);
  });

  it("fails the connection, and the call, with the dialer's error", async () => {
    const { transport, address } = await serve();
    const channel = createChannel(address, {
      transport,
      dialer: async () => {
        throw new Error("no route to the backend from this sandbox");
      },
    });
    open.channels.push(channel);
    await expect(createClient(TestService, channel).unaryCall({})).rejects.toMatchObject({
      code: Code.UNAVAILABLE,
      message: expect.stringContaining("the dialer failed: no route to the backend from this sandbox"),
    });
  });

  it("aborts the dialer's signal when the connect times out", async () => {
    const { transport, address } = await serve();
    let aborted: unknown;
    const channel = createChannel(address, {
      transport,
      backoff: { minConnectTimeoutMs: 150, baseDelayMs: 100 },
      dialer: (_address, { signal }) =>
        new Promise((_, reject) => {
          signal.addEventListener("abort", () => {
            aborted = signal.reason;
            reject(signal.reason);
          });
        }),
    });
    open.channels.push(channel);
    await expect(createClient(TestService, channel).unaryCall({})).rejects.toMatchObject({
      code: Code.UNAVAILABLE,
      message: expect.stringContaining("timed out after 150 ms"),
    });
    expect(String(aborted)).toContain("timed out after 150 ms");
  });
});
