/**
 * The grpc.channelz.v1 service over real HTTP/2 on loopback, answering about real
 * grpckit channels, subchannels, servers and connections.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  Code,
  createChannel,
  createClient,
  createServer,
  enableChannelz,
  GrpcError,
  type Channel,
  type ChannelzRegistry,
  type Server,
} from "@grpckit/core";
import { http2Transport } from "@grpckit/transport-http2";
import { addChannelzService, ChannelzService, channelzV1 } from "../src/index.js";

const { ChannelConnectivityState_State: State, ChannelTraceEvent_Severity: Severity } = channelzV1;

const transport = http2Transport();
let registry: ChannelzRegistry;
let server: Server;
let address: string;
let port: number;
let admin: Channel;
let channelz: ReturnType<typeof createClient<typeof ChannelzService>>;
const extra: Channel[] = [];

beforeAll(async () => {
  // Recording starts before the server and channels exist, so they are all recorded.
  registry = enableChannelz();
  server = createServer({ transport });
  addChannelzService(server);
  ({ address, port } = (await server.listen("127.0.0.1:0")) as { address: string; port: number });
  admin = createChannel(address, { transport });
  channelz = createClient(ChannelzService, admin);
});

afterEach(() => {
  for (const c of extra.splice(0)) c.close();
});

afterAll(() => {
  admin.close();
  server.forceShutdown();
});

/** A channel to the server that made `ok` successful calls and `failed` failed ones. */
async function busyChannel(ok: number, failed = 0): Promise<{ channel: Channel; id: bigint }> {
  const channel = createChannel(address, { transport });
  extra.push(channel);
  const client = createClient(ChannelzService, channel);
  for (let i = 0; i < ok; i++) await client.getServers({});
  for (let i = 0; i < failed; i++) await failure(client.getChannel({ channelId: 1n << 40n }));
  return { channel, id: BigInt(channel.channelz!.id) };
}

async function failure(p: Promise<unknown>): Promise<GrpcError> {
  try {
    await p;
  } catch (e) {
    return e as GrpcError;
  }
  throw new Error("expected the call to fail");
}

/** Retries `check` every few ms, up to about two seconds, for counters updated as a call ends. */
async function eventually(check: () => Promise<void>): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      await check();
      return;
    } catch (e) {
      if (i >= 200) throw e;
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

/** An Address as [ip bytes, port] when it is a TcpIpAddress. */
function tcp(address: channelzV1.Address | undefined): { ip: number[]; port: number } | undefined {
  return address?.address.case === "tcpipAddress"
    ? { ip: [...address.address.value.ipAddress], port: address.address.value.port }
    : undefined;
}

async function topChannel(id: bigint) {
  const { channel } = await channelz.getTopChannels({});
  return channel.find((c) => c.ref?.channelId === id);
}

describe("GetTopChannels", () => {
  it("shows a channel that made 3 successful calls and 1 failed one with calls_started 4, calls_succeeded 3, calls_failed 1 and its target", async () => {
    const { id } = await busyChannel(3, 1);
    await eventually(async () => {
      const c = await topChannel(id);
      expect(c?.data?.target).toBe(address);
      expect(c?.data?.callsStarted).toBe(4n);
      expect(c?.data?.callsSucceeded).toBe(3n);
      expect(c?.data?.callsFailed).toBe(1n);
    });
    const c = (await topChannel(id))!;
    expect(c.data?.state?.state).toBe(State.READY);
    expect(c.data?.lastCallStartedTimestamp).toBeDefined();
    expect(c.subchannelRef).toHaveLength(1);
  });

  it("counts calls as they happen: 2 more calls raise calls_started by 2", async () => {
    const { channel, id } = await busyChannel(1);
    const before = (await topChannel(id))!.data!.callsStarted;
    const client = createClient(ChannelzService, channel);
    await client.getServers({});
    await client.getServers({});
    expect((await topChannel(id))!.data!.callsStarted).toBe(before + 2n);
  });

  it("records the channel's creation and its subchannel's creation, with a ref to it, in the trace", async () => {
    const { id } = await busyChannel(1);
    const trace = (await topChannel(id))!.data!.trace!;
    expect(trace.creationTimestamp).toBeDefined();
    expect(trace.numEventsLogged).toBeGreaterThanOrEqual(BigInt(trace.events.length));
    expect(trace.events[0]).toMatchObject({ description: "Channel created", severity: Severity.CT_INFO });
    const created = trace.events.find((e) => e.childRef.case === "subchannelRef");
    expect(created?.severity).toBe(Severity.CT_INFO);
    expect(created?.description).toContain(address);
  });

  it("pages with max_results 1: each page has one channel, start id walks forward, the last page says end", async () => {
    for (let i = 0; i < 3; i++) extra.push(createChannel(`127.0.0.1:${1000 + i}`, { transport }));
    const all = (await channelz.getTopChannels({})).channel.map((c) => c.ref!.channelId);
    expect(all.length).toBeGreaterThanOrEqual(4);
    const seen: bigint[] = [];
    let start = 0n;
    for (let page = 0; page < all.length + 1; page++) {
      const r = await channelz.getTopChannels({ startChannelId: start, maxResults: 1n });
      expect(r.channel).toHaveLength(1);
      const id = r.channel[0]!.ref!.channelId;
      seen.push(id);
      if (r.end) break;
      start = id + 1n;
    }
    expect(seen).toEqual(all);
    expect([...seen].sort((a, b) => (a < b ? -1 : 1))).toEqual(seen);
  });

  it("returns every channel on one page, with end set, when max_results is 0", async () => {
    for (let i = 0; i < 3; i++) extra.push(createChannel(`127.0.0.1:${2000 + i}`, { transport }));
    const r = await channelz.getTopChannels({ maxResults: 0n });
    expect(r.end).toBe(true);
    expect(r.channel.length).toBe(registry.topChannels().items.length);
  });

  it("fails INVALID_ARGUMENT for a negative max_results", async () => {
    expect((await failure(channelz.getTopChannels({ maxResults: -1n }))).code).toBe(Code.INVALID_ARGUMENT);
  });
});

describe("GetChannel, GetSubchannel, GetSocket", () => {
  it("follow the refs from a channel to its subchannel and to the subchannel's connection, with its counters, addresses and windows", async () => {
    const { id, channel } = await busyChannel(3);
    const c = (await channelz.getChannel({ channelId: id })).channel!;
    expect(c.ref).toMatchObject({ channelId: id, name: address });

    const scRef = c.subchannelRef[0]!;
    const sc = (await channelz.getSubchannel({ subchannelId: scRef.subchannelId })).subchannel!;
    expect(sc.ref?.subchannelId).toBe(scRef.subchannelId);
    expect(sc.data?.target).toBe(address);
    expect(sc.data?.state?.state).toBe(State.READY);
    expect(sc.socketRef).toHaveLength(1);

    await eventually(async () => {
      const socket = (await channelz.getSocket({ socketId: sc.socketRef[0]!.socketId })).socket!;
      expect(socket.data?.streamsStarted).toBeGreaterThanOrEqual(3n);
      expect(socket.data?.streamsSucceeded).toBeGreaterThanOrEqual(3n);
      expect(socket.data?.messagesSent).toBeGreaterThanOrEqual(3n);
      expect(socket.data?.messagesReceived).toBeGreaterThanOrEqual(3n);
    });
    const socket = (await channelz.getSocket({ socketId: sc.socketRef[0]!.socketId })).socket!;
    expect(tcp(socket.remote)).toEqual({ ip: [127, 0, 0, 1], port });
    expect(socket.local?.address.case).toBe("tcpipAddress");
    expect(socket.data?.lastLocalStreamCreatedTimestamp).toBeDefined();
    expect(socket.security).toBeUndefined();
    expect(socket.data?.localFlowControlWindow).toBeGreaterThan(0n);
    expect(socket.data?.remoteFlowControlWindow).toBeGreaterThan(0n);
    const summary = (await channelz.getSocket({ socketId: sc.socketRef[0]!.socketId, summary: true })).socket!;
    expect(summary.data?.streamsStarted).toBeGreaterThanOrEqual(3n);
    expect(summary.data?.localFlowControlWindow).toBeUndefined();
    expect(channel.channelz?.subchannels.size).toBe(1);
  });

  it("fail NOT_FOUND, naming the id, for ids the process does not know", async () => {
    const unknown = 987654321n;
    const calls = [
      channelz.getChannel({ channelId: unknown }),
      channelz.getSubchannel({ subchannelId: unknown }),
      channelz.getSocket({ socketId: unknown }),
      channelz.getServer({ serverId: unknown }),
      channelz.getServerSockets({ serverId: unknown }),
    ];
    for (const call of calls) {
      const e = await failure(call);
      expect(e).toBeInstanceOf(GrpcError);
      expect(e.code).toBe(Code.NOT_FOUND);
      expect(e.rawMessage).toContain("987654321");
    }
  });

  it("fails NOT_FOUND for a channel once it is closed", async () => {
    const { channel, id } = await busyChannel(1);
    channel.close();
    expect((await failure(channelz.getChannel({ channelId: id }))).code).toBe(Code.NOT_FOUND);
  });

  it("describes a TLS connection's cipher suite and peer certificate", async () => {
    const owner = registry.addServer();
    const raw = new Uint8Array([0x30, 0x82, 0x02, 0x01]);
    const socket = registry.addSocket(owner, {
      localAddress: "[::1]:8443",
      peer: {
        address: "[::1]:51000",
        authInfo: {
          type: "tls",
          securityLevel: "privacy",
          cipher: { name: "TLS_AES_256_GCM_SHA384", standardName: "TLS_AES_256_GCM_SHA384", version: "TLSv1.3" },
          peerCertificate: { raw },
        },
      },
    });
    try {
      const s = (await channelz.getSocket({ socketId: BigInt(socket.id) })).socket!;
      const model = s.security?.model;
      expect(model?.case).toBe("tls");
      const tls = model?.case === "tls" ? model.value : undefined;
      expect(tls?.cipherSuite).toEqual({ case: "standardName", value: "TLS_AES_256_GCM_SHA384" });
      expect([...(tls?.remoteCertificate ?? [])]).toEqual([...raw]);
      const loopback6 = [...new Array<number>(15).fill(0), 1];
      expect(tcp(s.remote)).toEqual({ ip: loopback6, port: 51000 });
      expect(tcp(s.local)).toEqual({ ip: loopback6, port: 8443 });
    } finally {
      registry.removeServer(owner);
    }
  });
});

describe("GetServers, GetServer, GetServerSockets", () => {
  it("show the server with its calls and listen socket, and its connections with streams counted", async () => {
    const { channel } = await busyChannel(3);
    const serverId = BigInt(server.channelz!.id);
    const listed = (await channelz.getServers({})).server.find((s) => s.ref?.serverId === serverId);
    expect(listed).toBeDefined();
    expect(listed!.data?.callsStarted).toBeGreaterThanOrEqual(3n);
    expect(listed!.data?.callsSucceeded).toBeGreaterThanOrEqual(3n);
    expect(listed!.data?.lastCallStartedTimestamp).toBeDefined();

    const one = (await channelz.getServer({ serverId })).server!;
    expect(one.listenSocket).toHaveLength(1);
    const listen = (await channelz.getSocket({ socketId: one.listenSocket[0]!.socketId })).socket!;
    expect(tcp(listen.local)).toEqual({ ip: [127, 0, 0, 1], port });

    // The busy channel's connection, found by its local port among the server's sockets.
    const clientSocket = [...channel.channelz!.subchannels][0]!.sockets.values().next().value!;
    const clientPort = Number(/:(\d+)$/.exec(clientSocket.local ?? "")?.[1]);
    const refs = (await channelz.getServerSockets({ serverId })).socketRef;
    expect(refs.length).toBeGreaterThanOrEqual(2);
    const sockets = await Promise.all(refs.map(async (r) => (await channelz.getSocket({ socketId: r.socketId })).socket!));
    const accepted = sockets.find((s) => s.remote?.address.case === "tcpipAddress" && s.remote.address.value.port === clientPort);
    expect(accepted).toBeDefined();
    expect(accepted!.data?.streamsStarted).toBeGreaterThanOrEqual(3n);
    expect(accepted!.data?.lastRemoteStreamCreatedTimestamp).toBeDefined();
  });

  it("page the server's sockets with max_results 1 and the end flag", async () => {
    await busyChannel(1);
    await busyChannel(1);
    const serverId = BigInt(server.channelz!.id);
    const all = (await channelz.getServerSockets({ serverId })).socketRef.map((r) => r.socketId);
    expect(all.length).toBeGreaterThanOrEqual(3);
    const seen: bigint[] = [];
    let start = 0n;
    for (let page = 0; page < all.length + 1; page++) {
      const r = await channelz.getServerSockets({ serverId, startSocketId: start, maxResults: 1n });
      expect(r.socketRef).toHaveLength(1);
      seen.push(r.socketRef[0]!.socketId);
      if (r.end) break;
      start = r.socketRef[0]!.socketId + 1n;
    }
    expect(seen).toEqual(all);
  });

  it("page the servers with max_results 1 and the end flag", async () => {
    const other = createServer({ transport });
    try {
      await other.listen("127.0.0.1:0");
      const first = await channelz.getServers({ maxResults: 1n });
      expect(first.server).toHaveLength(1);
      expect(first.end).toBe(false);
      const rest = await channelz.getServers({ startServerId: first.server[0]!.ref!.serverId + 1n, maxResults: 100n });
      expect(rest.end).toBe(true);
      expect(rest.server.map((s) => s.ref!.serverId)).toContain(BigInt(other.channelz!.id));
    } finally {
      other.forceShutdown();
    }
  });
});
