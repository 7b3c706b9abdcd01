/**
 * Wire compatibility: @grpc/grpc-js, loading this package's channelz.proto with
 * @grpc/proto-loader, reads a grpckit server's channelz answers.
 */
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createChannel, createClient, createServer, enableChannelz, type Channel, type Server } from "@grpckit/core";
import { http2Transport } from "@grpckit/transport-http2";
import { addChannelzService, ChannelzService } from "../src/index.js";

const protoRoot = fileURLToPath(new URL("../proto", import.meta.url));

interface JsRef {
  channel_id?: string;
  subchannel_id?: string;
  socket_id?: string;
  server_id?: string;
  name: string;
}
interface JsChannel {
  ref: JsRef;
  data: { target: string; state: { state: string }; calls_started: string; calls_succeeded: string; trace: { events: { description: string; severity: string }[] } };
  subchannel_ref: JsRef[];
}
interface JsSocket {
  ref: JsRef;
  data: { streams_started: string };
  remote: { address: string; tcpip_address?: { ip_address: Buffer; port: number } };
}
type Unary<Req, Res> = (request: Req, callback: (error: grpc.ServiceError | null, response: Res) => void) => void;
interface JsChannelzClient extends grpc.Client {
  GetTopChannels: Unary<{ start_channel_id?: number; max_results?: number }, { channel: JsChannel[]; end: boolean }>;
  GetSubchannel: Unary<{ subchannel_id: string }, { subchannel: { socket_ref: JsRef[] } }>;
  GetSocket: Unary<{ socket_id: string }, { socket: JsSocket }>;
  GetChannel: Unary<{ channel_id: string }, unknown>;
}

let server: Server;
let address: string;
let port: number;
let app: Channel;
let jsClient: JsChannelzClient;

function call<Req, Res>(method: Unary<Req, Res>, request: Req): Promise<Res> {
  return new Promise((resolve, reject) =>
    method.call(jsClient, request, (error, response) => (error ? reject(error) : resolve(response))),
  );
}

beforeAll(async () => {
  enableChannelz();
  const transport = http2Transport();
  server = createServer({ transport });
  addChannelzService(server);
  ({ address, port } = (await server.listen("127.0.0.1:0")) as { address: string; port: number });
  app = createChannel(address, { transport });
  const client = createClient(ChannelzService, app);
  for (let i = 0; i < 5; i++) await client.getServers({});

  const definition = protoLoader.loadSync("grpc/channelz/v1/channelz.proto", {
    includeDirs: [protoRoot],
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  const pkg = grpc.loadPackageDefinition(definition) as unknown as {
    grpc: { channelz: { v1: { Channelz: new (target: string, credentials: grpc.ChannelCredentials) => JsChannelzClient } } };
  };
  jsClient = new pkg.grpc.channelz.v1.Channelz(address, grpc.credentials.createInsecure());
});

afterAll(() => {
  jsClient?.close();
  app?.close();
  server?.forceShutdown();
});

describe("a grpc-js client of a grpckit channelz service", () => {
  it("reads GetTopChannels: the grpckit channel's target, READY state, 5 calls started and its trace", async () => {
    const { channel, end } = await call(jsClient.GetTopChannels, {});
    expect(end).toBe(true);
    const mine = channel.find((c) => c.ref.channel_id === String(app.channelz!.id));
    expect(mine).toBeDefined();
    expect(mine!.ref.name).toBe(address);
    expect(mine!.data.target).toBe(address);
    expect(mine!.data.state.state).toBe("READY");
    expect(mine!.data.calls_started).toBe("5");
    expect(mine!.data.calls_succeeded).toBe("5");
    expect(mine!.data.trace.events[0]).toMatchObject({ description: "Channel created", severity: "CT_INFO" });
    expect(mine!.subchannel_ref).toHaveLength(1);
  });

  it("follows a subchannel ref to a socket whose remote address decodes as 127.0.0.1 and the server's port", async () => {
    const { channel } = await call(jsClient.GetTopChannels, {});
    const mine = channel.find((c) => c.ref.channel_id === String(app.channelz!.id))!;
    const { subchannel } = await call(jsClient.GetSubchannel, { subchannel_id: mine.subchannel_ref[0]!.subchannel_id! });
    const { socket } = await call(jsClient.GetSocket, { socket_id: subchannel.socket_ref[0]!.socket_id! });
    expect(socket.remote.address).toBe("tcpip_address");
    expect([...socket.remote.tcpip_address!.ip_address]).toEqual([127, 0, 0, 1]);
    expect(socket.remote.tcpip_address!.port).toBe(port);
    expect(Number(socket.data.streams_started)).toBeGreaterThanOrEqual(5);
  });

  it("sees NOT_FOUND for an unknown channel id", async () => {
    await expect(call(jsClient.GetChannel, { channel_id: "424242" })).rejects.toMatchObject({
      code: grpc.status.NOT_FOUND,
      details: expect.stringContaining("424242"),
    });
  });
});
