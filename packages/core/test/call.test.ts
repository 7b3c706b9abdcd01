import { afterEach, describe, expect, it } from "vitest";
import { create } from "@bufbuild/protobuf";
import { anyPack } from "@bufbuild/protobuf/wkt";
import {
  Code,
  GrpcError,
  Metadata,
  createChannel,
  createClient,
  createInMemoryTransport,
  createServer,
  sendUncompressed,
  wasCompressed,
  type Interceptor,
  type ServerInterceptor,
  type ServiceImpl,
} from "../src/index.js";
import { EchoRequestSchema, EchoResponseSchema, EchoService } from "./gen/grpckit/test/v1/echo_pb.js";
import { collect, failure, startEcho, type Harness } from "./support/harness.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function* items<T>(...xs: T[]): AsyncIterable<T> {
  for (const x of xs) yield x;
}

describe("the four kinds of call", () => {
  it("a unary call returns the server's response", async () => {
    h = await startEcho();
    const res = await h.client.echo({ message: "hello", payload: new Uint8Array([1, 2, 3]) });
    expect(res.message).toBe("hello");
    expect([...res.payload]).toEqual([1, 2, 3]);
  });

  it("a server-streaming call yields every response in order", async () => {
    h = await startEcho();
    const res = await collect(h.client.expand({ message: "m", repeat: 5 }));
    expect(res.map((r) => r.index)).toEqual([0, 1, 2, 3, 4]);
  });

  it("a client-streaming call sends every request and returns one response", async () => {
    h = await startEcho();
    const res = await h.client.collect(items({ message: "a" }, { message: "b" }, { message: "c" }));
    expect(res.message).toBe("a,b,c");
    expect(res.index).toBe(3);
  });

  it("a bidi call answers each request before the next is sent (ping-pong)", async () => {
    h = await startEcho();
    let answered: (() => void) | undefined;
    const seen: string[] = [];
    async function* pings() {
      for (const m of ["one", "two", "three"]) {
        yield { message: m };
        await new Promise<void>((r) => (answered = r));
      }
    }
    for await (const res of h.client.chat(pings())) {
      seen.push(res.message);
      answered?.();
    }
    expect(seen).toEqual(["one", "two", "three"]);
  });

  it("an empty client stream and an empty server stream both complete with OK", async () => {
    h = await startEcho();
    expect(await collect(h.client.chat(items()))).toEqual([]);
    expect(await collect(h.client.expand({ repeat: 0 }))).toEqual([]);
  });
});

describe("metadata", () => {
  it("request metadata reaches the handler and header and trailer metadata reach the client", async () => {
    h = await startEcho();
    let header: Metadata | undefined;
    let trailer: Metadata | undefined;
    const md = new Metadata({ "x-echo": "value", "x-bytes-bin": new Uint8Array([0, 255]) });
    await h.client.echo({ message: "x" }, { metadata: md, onHeader: (m) => (header = m), onTrailer: (m) => (trailer = m) });
    expect(header?.get("x-echo")).toBe("value");
    expect(trailer?.get("x-trailer")).toBe("done");
    const seen = h.log.contexts[0].metadata;
    expect(seen.get("x-echo")).toBe("value");
    expect([...(seen.get("x-bytes-bin") as Uint8Array)]).toEqual([0, 255]);
  });
});

describe("status", () => {
  it("a GrpcError thrown by a handler reaches the client with code, message, details and trailers", async () => {
    h = await createServerWith({
      async echo() {
        throw new GrpcError(Code.FAILED_PRECONDITION, "not ready: ünïcode", {
          details: [anyPack(EchoResponseSchema, create(EchoResponseSchema, { message: "detail" }))],
          metadata: new Metadata({ "x-why": "because" }),
        });
      },
    });
    const err = await failure(h.client.echo({}));
    expect(err).toBeInstanceOf(GrpcError);
    expect(err.code).toBe(Code.FAILED_PRECONDITION);
    expect(err.rawMessage).toBe("not ready: ünïcode");
    expect(err.metadata.get("x-why")).toBe("because");
    expect(err.findDetails(EchoResponseSchema).map((d: { message: string }) => d.message)).toEqual(["detail"]);
  });

  it("a plain Error thrown by a handler becomes UNKNOWN with its message and no stack", async () => {
    h = await createServerWith({
      async echo() {
        throw new Error("database is down");
      },
    });
    const err = await failure(h.client.echo({}));
    expect(err.code).toBe(Code.UNKNOWN);
    expect(err.rawMessage).toBe("database is down");
    expect(err.rawMessage).not.toContain("at ");
  });

  it("a method the server does not implement gives UNIMPLEMENTED", async () => {
    h = await createServerWith({ async echo(req) { return { message: req.message }; } });
    const err = await failure(collect(h.client.expand({ repeat: 1 })));
    expect(err.code).toBe(Code.UNIMPLEMENTED);
  });

  it("a service the server does not have gives UNIMPLEMENTED naming it", async () => {
    const transport = createInMemoryTransport();
    const server = createServer({ transport });
    await server.listen("empty");
    const channel = createChannel("empty", { transport });
    const err = await failure(createClient(EchoService, channel).echo({}));
    expect(err.code).toBe(Code.UNIMPLEMENTED);
    expect(err.rawMessage).toContain("grpckit.test.v1.EchoService");
    channel.close();
    server.forceShutdown();
  });

  it("an error after some streamed responses arrives after those responses", async () => {
    h = await startEcho();
    const got: number[] = [];
    const err = await failure(
      (async () => {
        for await (const r of h!.client.expand({ repeat: 2, failCode: Code.ABORTED, failMessage: "stop" })) got.push(r.index);
      })(),
    );
    expect(got).toEqual([0, 1]);
    expect(err.code).toBe(Code.ABORTED);
  });
});

describe("deadlines and cancellation", () => {
  it("a call past its timeout ends with DEADLINE_EXCEEDED and the handler's signal fires", async () => {
    h = await startEcho();
    const err = await failure(h.client.echo({ delayMs: 5000 }, { timeoutMs: 50 }));
    expect(err.code).toBe(Code.DEADLINE_EXCEEDED);
    await waitFor(() => h!.log.aborted.length === 1);
    expect(h.log.contexts[0].deadline).toBeTypeOf("number");
  });

  it("aborting the call's signal ends it with CANCELLED and cancels the handler", async () => {
    h = await startEcho();
    const ac = new AbortController();
    const p = h.client.echo({ delayMs: 5000 }, { signal: ac.signal });
    await waitFor(() => h!.log.contexts.length === 1);
    ac.abort();
    const err = await failure(p);
    expect(err.code).toBe(Code.CANCELLED);
    await waitFor(() => h!.log.aborted.length === 1);
    expect(h.log.aborted[0]).toContain("cancelled");
  });

  it("breaking out of a server stream cancels the call on the server", async () => {
    h = await startEcho();
    for await (const r of h.client.expand({ repeat: 1000, delayMs: 5 })) {
      if (r.index === 2) break;
    }
    await waitFor(() => h!.log.aborted.length === 1);
  });

  it("a deadline already passed fails the call without sending it", async () => {
    h = await startEcho();
    const err = await failure(h.client.echo({}, { deadline: Date.now() - 1 }));
    expect(err.code).toBe(Code.DEADLINE_EXCEEDED);
    expect(h.log.contexts.length).toBe(0);
  });
});

describe("message size limits", () => {
  it("a response above the client's receive limit gives RESOURCE_EXHAUSTED naming the limit", async () => {
    h = await startEcho({ channel: { maxReceiveMessageBytes: 1000 } });
    const err = await failure(h.client.echo({ payload: new Uint8Array(2000) }));
    expect(err.code).toBe(Code.RESOURCE_EXHAUSTED);
    expect(err.rawMessage).toMatch(/1000/);
    // The channel still works for calls within the limit.
    expect((await h.client.echo({ message: "small" })).message).toBe("small");
  });

  it("a request above the server's receive limit gives RESOURCE_EXHAUSTED", async () => {
    h = await startEcho({ server: { maxReceiveMessageBytes: 1000 } });
    const err = await failure(h.client.echo({ payload: new Uint8Array(2000) }));
    expect(err.code).toBe(Code.RESOURCE_EXHAUSTED);
    expect(err.rawMessage).toMatch(/1000/);
    expect((await h.client.echo({ message: "small" })).message).toBe("small");
  });

  it("a request above the per-call send limit fails before it is sent", async () => {
    h = await startEcho();
    const err = await failure(h.client.echo({ payload: new Uint8Array(2000) }, { maxSendMessageBytes: 100 }));
    expect(err.code).toBe(Code.RESOURCE_EXHAUSTED);
    expect(err.rawMessage).toMatch(/100 bytes/);
  });

  it("a compressed response that inflates past the limit gives RESOURCE_EXHAUSTED", async () => {
    h = await startEcho({ channel: { maxReceiveMessageBytes: 10_000, compression: "gzip" } });
    const err = await failure(h.client.echo({ payload: new Uint8Array(100_000) }, { maxSendMessageBytes: 1_000_000 }));
    expect(err.code).toBe(Code.RESOURCE_EXHAUSTED);
  });
});

describe("compression", () => {
  it("gzip-compressed requests and responses arrive intact and marked compressed", async () => {
    h = await startEcho();
    const payload = new Uint8Array(10_000).fill(7);
    const res = await h.client.echo({ payload }, { compression: "gzip" });
    expect(new Uint8Array(res.payload)).toEqual(payload);
    expect(wasCompressed(res)).toBe(true);
  });

  it("a message passed through sendUncompressed is sent without compression on a compressing call", async () => {
    const transport = createInMemoryTransport();
    const server = createServer({ transport });
    let requestCompressed: boolean | undefined;
    server.addService(EchoService, {
      async echo(req) {
        requestCompressed = wasCompressed(req);
        return { message: req.message };
      },
    });
    await server.listen("uncompressed");
    const channel = createChannel("uncompressed", { transport });
    const client = createClient(EchoService, channel);
    await client.echo(sendUncompressed(create(EchoRequestSchema, { message: "plain" })), { compression: "gzip" });
    expect(requestCompressed).toBe(false);
    await client.echo({ message: "zipped" }, { compression: "deflate" });
    expect(requestCompressed).toBe(true);
    channel.close();
    server.forceShutdown();
  });
});

describe("interceptors", () => {
  it("client and server interceptors run in the order given and can add metadata", async () => {
    const order: string[] = [];
    const client = (name: string): Interceptor => (next) => async (req) => {
      order.push(`client ${name} in`);
      req.metadata.set(`x-${name}`, "1");
      const res = await next(req);
      order.push(`client ${name} out`);
      return res;
    };
    const server = (name: string): ServerInterceptor => (next) => async (req) => {
      order.push(`server ${name} in`);
      const res = await next(req);
      order.push(`server ${name} out`);
      return res;
    };
    h = await startEcho({
      channel: { interceptors: [client("a"), client("b")] },
      server: { interceptors: [server("a"), server("b")] },
    });
    await h.client.echo({ message: "x" });
    expect(order).toEqual([
      "client a in",
      "client b in",
      "server a in",
      "server b in",
      "server b out",
      "server a out",
      "client b out",
      "client a out",
    ]);
    expect(h.log.contexts[0].metadata.get("x-a")).toBe("1");
    expect(h.log.contexts[0].metadata.get("x-b")).toBe("1");
  });

  it("interceptors see streaming calls too", async () => {
    const seen: boolean[] = [];
    h = await startEcho({
      channel: {
        interceptors: [
          (next) => async (req) => {
            seen.push(req.stream);
            return next(req);
          },
        ],
      },
    });
    await collect(h.client.expand({ repeat: 2 }));
    await h.client.echo({});
    expect(seen).toEqual([true, false]);
  });
});

describe("codecs", () => {
  it("a channel with the JSON codec talks application/grpc+json to the server", async () => {
    h = await startEcho({ channel: { codec: "json" } });
    const res = await h.client.echo({ message: "via json", payload: new Uint8Array([9]) });
    expect(res.message).toBe("via json");
    expect([...res.payload]).toEqual([9]);
  });
});

describe("shutdown", () => {
  it("shutdown lets a running call finish and then resolves", async () => {
    h = await startEcho();
    const call = h.client.echo({ message: "slow", delayMs: 100 });
    await waitFor(() => h!.log.contexts.length === 1);
    await h.server.shutdown();
    expect((await call).message).toBe("slow");
  });

  it("forceShutdown cancels running calls", async () => {
    h = await startEcho();
    const call = h.client.echo({ delayMs: 5000 });
    await waitFor(() => h!.log.contexts.length === 1);
    h.server.forceShutdown();
    const err = await failure(call);
    expect([Code.CANCELLED, Code.UNAVAILABLE]).toContain(err.code);
    await waitFor(() => h!.log.aborted.length === 1);
  });
});

async function createServerWith(impl: ServiceImpl<typeof EchoService>): Promise<Harness> {
  const transport = createInMemoryTransport();
  const server = createServer({ transport });
  server.addService(EchoService, impl);
  const name = `custom-${Math.random()}`;
  await server.listen(name);
  const channel = createChannel(name, { transport });
  return {
    server,
    channel,
    client: createClient(EchoService, channel),
    log: { aborted: [], contexts: [] },
    async close() {
      channel.close();
      server.forceShutdown();
    },
  };
}

async function waitFor(cond: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 5));
  }
}
