/**
 * What a balancer sees of the calls it picks for, over real loopback HTTP/2: each pick
 * gets the call's method, request metadata (call credentials' included) and deadline;
 * each pick's onDone hears once how its attempt ended, with the status, the trailers
 * (an ORCA report's endpoint-load-metrics-bin among them) and the message bytes the
 * attempt sent and received on the wire.
 */
import { afterEach, describe, expect, it } from "vitest";
import { create, toBinary } from "@bufbuild/protobuf";
import {
  Code,
  ConnectivityState,
  GrpcError,
  Metadata,
  bearerToken,
  createChannel,
  createClient,
  createServer,
  registerBalancer,
  type BalancerBuildOptions,
  type BalancerBuilder,
  type Channel,
  type PickDoneInfo,
  type PickInfo,
  type Server,
  type Subchannel,
} from "@grpckit/core";
import { EchoRequestSchema, EchoResponseSchema, EchoService } from "../../core/test/gen/grpckit/test/v1/echo_pb.js";
import { echoImpl } from "../../core/test/support/echo-service.js";
import { h2Transport } from "../src/index.js";

declare module "@grpckit/core" {
  interface BalancerConfigMap {
    test_recording: Record<string, never>;
  }
}

/** What the recording policy saw: every pick, every finished attempt, its build options. */
const seen = { picks: [] as PickInfo[], done: [] as PickDoneInfo[], built: [] as (BalancerBuildOptions | undefined)[] };

/** One subchannel over every address; records each pick and how each picked attempt ended. */
const recordingBalancer: BalancerBuilder = {
  name: "test_recording",
  build(cc, options) {
    seen.built.push(options);
    let sc: Subchannel | undefined;
    return {
      updateClientConnState({ resolverState }) {
        if (sc !== undefined) return;
        const subchannel = cc.createSubchannel(resolverState.endpoints.flatMap((e) => e.addresses));
        sc = subchannel;
        subchannel.watch((state) => {
          if (state === ConnectivityState.READY) {
            cc.updateState({
              state,
              picker: {
                pick: (info) => {
                  seen.picks.push(info);
                  return { type: "pick", subchannel, onDone: (done) => void seen.done.push(done) };
                },
              },
            });
          } else if (state === ConnectivityState.IDLE) {
            subchannel.connect();
          }
        });
        cc.updateState({ state: ConnectivityState.CONNECTING, picker: { pick: () => ({ type: "queue" }) } });
        subchannel.connect();
      },
      resolverError() {},
      exitIdle() {
        sc?.connect();
      },
      close() {
        sc?.shutdown();
      },
    };
  },
};
registerBalancer(recordingBalancer);

const transport = h2Transport();
const open: { servers: Server[]; channels: Channel[] } = { servers: [], channels: [] };

afterEach(() => {
  for (const c of open.channels.splice(0)) c.close();
  for (const s of open.servers.splice(0)) s.forceShutdown();
  seen.picks.length = 0;
  seen.done.length = 0;
  seen.built.length = 0;
});

/** The ORCA report a server sends, as opaque bytes: core passes them on without parsing. */
const loadReport = new Uint8Array([0x09, 0, 0, 0, 0, 0, 0, 0xe0, 0x3f]);

async function serve(): Promise<string> {
  const server = createServer({ transport });
  let retried = 0;
  server.addService(EchoService, {
    ...echoImpl(),
    async echo(req, ctx) {
      ctx.responseTrailer.set("x-trailer", "done");
      if (req.message === "orca") ctx.responseTrailer.set("endpoint-load-metrics-bin", loadReport);
      if (req.message === "flaky" && retried++ < 2) throw new GrpcError(Code.UNAVAILABLE, `attempt ${retried} refused`);
      if (req.failCode !== 0) throw new GrpcError(req.failCode as Code, req.failMessage);
      return { message: req.message.toUpperCase(), payload: req.payload };
    },
  });
  const bound = await server.listen("127.0.0.1:0");
  open.servers.push(server);
  return `127.0.0.1:${bound.port!}`;
}

function recordingChannel(target: string, options: Parameters<typeof createChannel>[1] = {}): Channel {
  const channel = createChannel(target, { transport, loadBalancingPolicy: "test_recording", ...options });
  open.channels.push(channel);
  return channel;
}

/** A message's bytes on the wire: the 5-byte prefix and its encoding. */
const framed = (bytes: Uint8Array) => 5 + bytes.byteLength;

describe("a picker on a loopback channel", () => {
  it("sees each call's method, request metadata and deadline; call credentials run after the pick", async () => {
    const target = await serve();
    const channel = recordingChannel(target, { callCredentials: bearerToken("t0ken"), allowInsecureCallCredentials: true });
    const client = createClient(EchoService, channel);
    const deadline = Date.now() + 30_000;
    await client.echo({ message: "a" }, { metadata: new Metadata({ "x-user": "ada", "x-key-bin": new Uint8Array([1, 2]) }), deadline });
    await client.echo({ message: "b" });

    expect(seen.picks).toHaveLength(2);
    const [first, second] = seen.picks;
    expect(first.path).toBe("/grpckit.test.v1.EchoService/Echo");
    expect(first.metadata.get("x-user")).toBe("ada");
    expect(first.metadata.get("x-key-bin")).toEqual(new Uint8Array([1, 2]));
    // As in grpc-go, call credentials run on the connection the pick chose.
    expect(first.metadata.get("authorization")).toBeUndefined();
    expect(first.deadline).toBe(deadline);
    expect(second.metadata.get("x-user")).toBeUndefined();
    expect(second.deadline).toBeUndefined();
  });

  it("is built with the channel's target, authority, security and a logger", async () => {
    const target = await serve();
    const channel = recordingChannel(`ipv4:${target}`, { authority: "svc.example:443" });
    await createClient(EchoService, channel).echo({ message: "a" });
    expect(seen.built).toHaveLength(1);
    const options = seen.built[0]!;
    expect(options.target).toMatchObject({ scheme: "ipv4", endpoint: target });
    expect(options.authority).toBe("svc.example:443");
    expect(options.secure).toBe(false);
    expect(typeof options.logger.info).toBe("function");
  });

  it("hears once per call its status, trailers and the bytes each way", async () => {
    const target = await serve();
    const client = createClient(EchoService, recordingChannel(target));
    const payload = new Uint8Array(1000).fill(7);
    const request = { message: "hello", payload };
    const response = await client.echo(request);
    await client.echo({ failCode: Code.NOT_FOUND, failMessage: "no such thing" }).catch(() => undefined);

    expect(seen.done).toHaveLength(2);
    const [ok, failed] = seen.done;
    expect(ok.code).toBe(Code.OK);
    expect(ok.error).toBeUndefined();
    expect(ok.trailers.get("x-trailer")).toBe("done");
    expect(ok.bytesSent).toBe(framed(toBinary(EchoRequestSchema, create(EchoRequestSchema, request))));
    expect(ok.bytesReceived).toBe(framed(toBinary(EchoResponseSchema, response)));
    expect(ok.bytesSent).toBeGreaterThan(1000);
    expect(failed.code).toBe(Code.NOT_FOUND);
    expect(failed.error?.rawMessage).toBe("no such thing");
    expect(failed.trailers.get("x-trailer")).toBe("done");
    expect(failed.bytesReceived).toBe(0);
  });

  it("counts compressed messages at their compressed size", async () => {
    const target = await serve();
    const client = createClient(EchoService, recordingChannel(target));
    const payload = new Uint8Array(1000).fill(7);
    await client.echo({ message: "z", payload }, { compression: "gzip" });
    expect(seen.done).toHaveLength(1);
    const plain = framed(toBinary(EchoRequestSchema, create(EchoRequestSchema, { message: "z", payload })));
    expect(plain).toBeGreaterThan(1000);
    // A thousand equal bytes gzip to a few dozen.
    expect(seen.done[0].bytesSent).toBeGreaterThan(5);
    expect(seen.done[0].bytesSent).toBeLessThan(100);
    // The server answers in the request's encoding, so the echoed payload comes back small too.
    expect(seen.done[0].bytesReceived).toBeGreaterThan(5);
    expect(seen.done[0].bytesReceived).toBeLessThan(100);
  });

  it("counts every message of a streaming call", async () => {
    const target = await serve();
    const client = createClient(EchoService, recordingChannel(target));
    const results: string[] = [];
    for await (const r of client.expand({ message: "x", repeat: 4 })) results.push(r.message);
    expect(results).toHaveLength(4);
    expect(seen.done).toHaveLength(1);
    const [done] = seen.done;
    const oneResponse = (i: number) => framed(toBinary(EchoResponseSchema, create(EchoResponseSchema, { message: "x", index: i })));
    expect(done.bytesReceived).toBe(oneResponse(0) + oneResponse(1) + oneResponse(2) + oneResponse(3));
    expect(done.code).toBe(Code.OK);
  });

  it("passes an ORCA report's endpoint-load-metrics-bin through the trailers unparsed", async () => {
    const target = await serve();
    const client = createClient(EchoService, recordingChannel(target));
    await client.echo({ message: "orca" });
    expect(seen.done).toHaveLength(1);
    expect(seen.done[0].trailers.get("endpoint-load-metrics-bin")).toEqual(loadReport);
  });

  it("hears each attempt of a retried call once, with that attempt's status", async () => {
    const target = await serve();
    const client = createClient(
      EchoService,
      recordingChannel(target, {
        defaultServiceConfig: {
          loadBalancingPolicy: "test_recording",
          methodConfig: [
            {
              name: [{ service: "grpckit.test.v1.EchoService" }],
              retryPolicy: {
                maxAttempts: 3,
                initialBackoff: "0.01s",
                maxBackoff: "0.01s",
                backoffMultiplier: 1,
                retryableStatusCodes: ["UNAVAILABLE"],
              },
            },
          ],
        },
      }),
    );
    expect((await client.echo({ message: "flaky" })).message).toBe("FLAKY");
    expect(seen.picks).toHaveLength(3);
    expect(seen.done.map((d) => d.code)).toEqual([Code.UNAVAILABLE, Code.UNAVAILABLE, Code.OK]);
    expect(seen.done.map((d) => d.error?.rawMessage)).toEqual(["attempt 1 refused", "attempt 2 refused", undefined]);
    const sent = framed(toBinary(EchoRequestSchema, create(EchoRequestSchema, { message: "flaky" })));
    expect(seen.done.map((d) => d.bytesSent)).toEqual([sent, sent, sent]);
  });
});
