/**
 * The BDP estimator's PINGs against @grpc/grpc-js in both roles, through a relay that
 * reads every frame: a grpckit client's PINGs on a long stream from a grpc-js server,
 * and a grpckit server's PINGs to a grpc-js client uploading, are answered, and nobody
 * is sent away (no GOAWAY, too_many_pings or any other).
 */
import { create, fromBinary, toBinary, type MessageInitShape } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { createChannel, createClient, createServer } from "@grpckit/core";
import { afterEach, describe, expect, it } from "vitest";
import { EchoRequestSchema, EchoResponseSchema, EchoService, type EchoRequest, type EchoResponse } from "../../core/test/gen/grpckit/test/v1/echo_pb.js";
import { echoImpl } from "../../core/test/support/echo-service.js";
import { FrameType } from "../src/frame.js";
import { h2Transport } from "../src/index.js";
import { FrameTapRelay } from "./support/frame-tap-relay.js";

const MiB = 1024 * 1024;
const protocolWindow = 65_535;
const message = "m".repeat(64 * 1024 - 16);
/** 512 messages of 64 KiB each way: 32 MiB. */
const messages = 512;

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.reverse()) c();
  cleanups = [];
});

/** The grpc-js view of EchoService: every method carries EchoRequest in and EchoResponse out. */
const grpcJsEcho: grpc.ServiceDefinition = Object.fromEntries(
  EchoService.methods.map((m) => [
    m.localName,
    {
      path: `/${EchoService.typeName}/${m.name}`,
      requestStream: m.methodKind === "client_streaming" || m.methodKind === "bidi_streaming",
      responseStream: m.methodKind === "server_streaming" || m.methodKind === "bidi_streaming",
      requestSerialize: (msg: MessageInitShape<typeof EchoRequestSchema>) => Buffer.from(toBinary(EchoRequestSchema, create(EchoRequestSchema, msg))),
      requestDeserialize: (b: Buffer) => fromBinary(EchoRequestSchema, b),
      responseSerialize: (msg: MessageInitShape<typeof EchoResponseSchema>) => Buffer.from(toBinary(EchoResponseSchema, create(EchoResponseSchema, msg))),
      responseDeserialize: (b: Buffer) => fromBinary(EchoResponseSchema, b),
    },
  ]),
);

interface GrpcJsEchoClient extends grpc.Client {
  expand(request: Partial<EchoRequest>): grpc.ClientReadableStream<EchoResponse>;
  collect(callback: (err: grpc.ServiceError | null, response?: EchoResponse) => void): grpc.ClientWritableStream<Partial<EchoRequest>>;
}
const GrpcJsEchoClient = grpc.makeGenericClientConstructor(grpcJsEcho, "EchoService") as unknown as new (address: string, credentials: grpc.ChannelCredentials) => GrpcJsEchoClient;

function summary(label: string, relay: FrameTapRelay, side: "client" | "server"): string {
  const answers = relay.sent(side === "client" ? "server" : "client", FrameType.PING).filter((f) => (f.flags & 1) === 1).length;
  return `${label}: ${(relay.dataBytes(side === "client" ? "server" : "client") / MiB).toFixed(1)} MiB to the ${side}; its BDP PINGs ${relay.pings(side).length}, answered ${answers}; its SETTINGS_INITIAL_WINDOW_SIZE ${[protocolWindow, ...relay.windows(side).initialWindowSettings].join(" → ")}; GOAWAYs ${relay.goaways().length}`;
}

describe("a grpckit client on transport-h2 against a @grpc/grpc-js server", () => {
  it("a 32 MiB server stream: the client's BDP PINGs are answered and its windows grow; every message arrives, no GOAWAY", async () => {
    const server = new grpc.Server();
    server.addService(grpcJsEcho, {
      expand: async (call: grpc.ServerWritableStream<EchoRequest, Partial<EchoResponse>>) => {
        for (let i = 0; i < call.request.repeat && !call.cancelled; i++) {
          if (!call.write({ message: call.request.message, index: i })) await new Promise((resolve) => call.once("drain", resolve));
        }
        call.end();
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
    );
    cleanups.push(() => server.forceShutdown());
    const relay = await FrameTapRelay.start(port);
    cleanups.push(() => relay.close());
    const channel = createChannel(`127.0.0.1:${relay.port}`, { transport: h2Transport() });
    cleanups.push(() => channel.close());
    const client = createClient(EchoService, channel);

    let received = 0;
    for await (const r of client.expand({ message, repeat: messages }, { timeoutMs: 60_000 })) {
      expect(r.message.length).toBe(message.length);
      received++;
    }
    console.log(summary("grpc-js server", relay, "client"));
    expect(received).toBe(messages);
    expect(relay.pings("client").length, "more BDP PINGs than a strict server's two strikes").toBeGreaterThan(2);
    expect(relay.sent("server", FrameType.PING).filter((f) => (f.flags & 1) === 1).length).toBeGreaterThanOrEqual(relay.pings("client").length - 1);
    expect(relay.windows("client").initialWindowSettings.at(-1)).toBeGreaterThan(protocolWindow);
    expect(relay.goaways()).toEqual([]);
    expect(relay.connections).toBe(1);
  }, 60_000);
});

describe("a @grpc/grpc-js client against a grpckit server on transport-h2", () => {
  async function setup() {
    const server = createServer({ transport: h2Transport() });
    server.addService(EchoService, echoImpl());
    cleanups.push(() => server.forceShutdown());
    const { port } = await server.listen("127.0.0.1:0");
    const relay = await FrameTapRelay.start(port!);
    cleanups.push(() => relay.close());
    const client = new GrpcJsEchoClient(`127.0.0.1:${relay.port}`, grpc.credentials.createInsecure());
    cleanups.push(() => client.close());
    return { relay, client };
  }

  it("a 32 MiB upload: the server's BDP PINGs are answered and its windows grow; the call succeeds, no GOAWAY", async () => {
    const { relay, client } = await setup();
    const reply = await new Promise<EchoResponse>((resolve, reject) => {
      const call = client.collect((e, r) => (e ? reject(e) : resolve(r!)));
      let i = 0;
      const payload = new Uint8Array(64 * 1024 - 16).fill(7);
      const writeMore = () => {
        // Collect answers with the messages' strings joined: the 64 KiB go in the payload, which it drops.
        while (i < messages) {
          i++;
          if (!call.write({ message: "", payload })) return void call.once("drain", writeMore);
        }
        call.end();
      };
      writeMore();
    });
    console.log(summary("grpc-js client uploading", relay, "server"));
    expect(reply.index).toBe(messages);
    expect(relay.pings("server").length, "BDP PINGs from the server").toBeGreaterThan(2);
    expect(relay.sent("client", FrameType.PING).filter((f) => (f.flags & 1) === 1).length).toBeGreaterThanOrEqual(relay.pings("server").length - 1);
    expect(relay.windows("server").initialWindowSettings.at(-1)).toBeGreaterThan(protocolWindow);
    expect(relay.windows("server").initialWindowSettings.at(-1)).toBeLessThanOrEqual(16 * MiB);
    expect(relay.goaways()).toEqual([]);
    expect(relay.connections).toBe(1);
  }, 60_000);

  it("a 32 MiB server stream to it: every message arrives, no GOAWAY", async () => {
    const { relay, client } = await setup();
    let received = 0;
    await new Promise<void>((resolve, reject) => {
      const call = client.expand({ message, repeat: messages });
      call.on("data", (r: EchoResponse) => {
        if (r.message.length === message.length) received++;
      });
      call.on("error", reject);
      call.on("end", resolve);
    });
    console.log(`grpc-js client downloading: ${(relay.dataBytes("server") / MiB).toFixed(1)} MiB to the client; GOAWAYs ${relay.goaways().length}`);
    expect(received).toBe(messages);
    expect(relay.goaways()).toEqual([]);
    expect(relay.connections).toBe(1);
  }, 60_000);
});
