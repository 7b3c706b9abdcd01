import { afterEach, describe, expect, it } from "vitest";
import {
  Code,
  GrpcError,
  Metadata,
  protoCodec,
  registerCodec,
  type Codec,
  type ServerInterceptor,
  type ServerTap,
  type StatsHandler,
  type TapInfo,
  createChannel,
  createClient,
  createInMemoryTransport,
  createServer,
} from "../src/index.js";
import { EchoService } from "./gen/grpckit/test/v1/echo_pb.js";
import { collect, failure, startEcho, type Harness } from "./support/harness.js";

const echoPath = "/grpckit.test.v1.EchoService/Echo";

/** The proto codec under its own content-subtype, counting the request messages (EchoRequest) decoded. */
const decoded = { count: 0 };
const countingCodec: Codec = {
  name: "counting",
  encode: (schema, message) => protoCodec.encode(schema, message),
  decode: (schema, data) => {
    if (schema.typeName === "grpckit.test.v1.EchoRequest") decoded.count++;
    return protoCodec.decode(schema, data);
  },
};
registerCodec(countingCodec);

/** What the server spent on calls besides the tap: interceptor runs and stats starts. */
function serverCounters(): { intercepted: number; started: number; interceptor: ServerInterceptor; stats: StatsHandler } {
  const counters = {
    intercepted: 0,
    started: 0,
    interceptor: ((next) => (req) => {
      counters.intercepted++;
      return next(req);
    }) as ServerInterceptor,
    stats: {
      tagCall: () => {
        counters.started++;
        return undefined;
      },
      handleCall: () => {},
    } satisfies StatsHandler as StatsHandler,
  };
  return counters;
}

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
  decoded.count = 0;
});

describe("server taps", () => {
  it("see each call's full method path, request metadata and peer before the handler, which gets the same metadata", async () => {
    const seen: TapInfo[] = [];
    h = await startEcho({ server: { taps: [(info) => void seen.push(info)] } });
    await h.client.echo({ message: "hi" }, { metadata: new Metadata({ "x-user": "ada", "x-token-bin": new Uint8Array([1, 2]) }) });

    expect(seen).toHaveLength(1);
    expect(seen[0].path).toBe(echoPath);
    expect(seen[0].metadata.get("x-user")).toBe("ada");
    expect(seen[0].metadata.get("x-token-bin")).toEqual(new Uint8Array([1, 2]));
    expect(seen[0].peer.address).toMatch(/^inmemory:/);
    expect(seen[0].peer.authInfo?.type).toBe("inmemory");
    expect(h.log.contexts).toHaveLength(1);
    expect(h.log.contexts[0].metadata).toBe(seen[0].metadata);
  });

  it("refuse a call by throwing a GrpcError: the client gets that status and its trailing metadata, and no handler, interceptor, stats or decoding runs, even for a 3 MiB request", async () => {
    const counters = serverCounters();
    let tapped = 0;
    const refuse: ServerTap = () => {
      tapped++;
      throw new GrpcError(Code.PERMISSION_DENIED, "not for you", { metadata: new Metadata({ "x-why": "policy" }) });
    };
    h = await startEcho({
      server: { taps: [refuse], interceptors: [counters.interceptor], statsHandlers: [counters.stats] },
      channel: { codec: countingCodec },
    });
    const payload = new Uint8Array(3 * 1024 * 1024).fill(7);
    const err = await failure(h.client.echo({ message: "big", payload }));

    expect(err).toBeInstanceOf(GrpcError);
    expect(err.code).toBe(Code.PERMISSION_DENIED);
    expect(err.rawMessage).toBe("not for you");
    expect(err.metadata.get("x-why")).toBe("policy");
    expect({ tapped, handlers: h.log.contexts.length, intercepted: counters.intercepted, started: counters.started, decoded: decoded.count }).toEqual({
      tapped: 1,
      handlers: 0,
      intercepted: 0,
      started: 0,
      decoded: 0,
    });
  });

  it("let a call through when they return, and then the call is decoded, intercepted and handled as usual", async () => {
    const counters = serverCounters();
    h = await startEcho({
      server: { taps: [() => {}], interceptors: [counters.interceptor], statsHandlers: [counters.stats] },
      channel: { codec: countingCodec },
    });
    expect((await h.client.echo({ message: "ok" })).message).toBe("ok");
    expect({ handlers: h.log.contexts.length, intercepted: counters.intercepted, started: counters.started, decoded: decoded.count }).toEqual({
      handlers: 1,
      intercepted: 1,
      started: 1,
      decoded: 1,
    });
  });

  it("run in order until the first refusal; later taps do not run", async () => {
    const ran: string[] = [];
    h = await startEcho({
      server: {
        taps: [
          () => void ran.push("first"),
          ({ metadata }) => {
            ran.push("second");
            if (metadata.get("x-allow") !== "yes") throw new GrpcError(Code.UNAUTHENTICATED, "x-allow is missing");
          },
          () => void ran.push("third"),
        ],
      },
    });
    const err = await failure(h.client.echo({ message: "a" }));
    expect(err.code).toBe(Code.UNAUTHENTICATED);
    expect(ran).toEqual(["first", "second"]);
    ran.length = 0;
    await h.client.echo({ message: "b" }, { metadata: new Metadata({ "x-allow": "yes" }) });
    expect(ran).toEqual(["first", "second", "third"]);
  });

  it("refuse with PERMISSION_DENIED and the error's message when a tap throws something else, and the server keeps serving", async () => {
    let calls = 0;
    h = await startEcho({
      server: {
        taps: [
          () => {
            if (calls++ === 0) throw new TypeError("policy table is not loaded");
          },
        ],
      },
    });
    const err = await failure(h.client.echo({ message: "a" }));
    expect(err.code).toBe(Code.PERMISSION_DENIED);
    expect(err.rawMessage).toBe("policy table is not loaded");
    expect((await h.client.echo({ message: "b" })).message).toBe("b");
    expect(h.log.contexts).toHaveLength(1);
  });

  it("must decide synchronously: a tap returning a promise refuses the call with INTERNAL saying so", async () => {
    const asyncTap = (async () => {}) as ServerTap;
    h = await startEcho({ server: { taps: [asyncTap] } });
    const err = await failure(h.client.echo({ message: "a" }));
    expect(err.code).toBe(Code.INTERNAL);
    expect(err.rawMessage).toBe("the server's tap returned a promise; taps must decide synchronously");
    expect(h.log.contexts).toHaveLength(0);
  });

  it("see calls to services the server does not have, and may refuse them before UNIMPLEMENTED is answered", async () => {
    const paths: string[] = [];
    const transport = createInMemoryTransport();
    const server = createServer({
      transport,
      taps: [
        ({ path }) => {
          paths.push(path);
          if (path === echoPath) throw new GrpcError(Code.PERMISSION_DENIED, "no");
        },
      ],
    });
    const { address } = await server.listen("tap-no-services");
    const channel = createChannel(address, { transport });
    try {
      const client = createClient(EchoService, channel);
      expect((await failure(client.echo({ message: "a" }))).code).toBe(Code.PERMISSION_DENIED);
      const missing = await failure(collect(client.expand({ message: "b", repeat: 1 })));
      expect(missing.code).toBe(Code.UNIMPLEMENTED);
      expect(paths).toEqual([echoPath, "/grpckit.test.v1.EchoService/Expand"]);
    } finally {
      channel.close();
      server.forceShutdown();
    }
  });
});
