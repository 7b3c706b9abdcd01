import { getEventListeners } from "node:events";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { DescService, MessageInitShape } from "@bufbuild/protobuf";
import {
  Code,
  ConnectivityState,
  GrpcError,
  Metadata,
  createChannel,
  createClient,
  createInMemoryTransport,
  createServer,
  type Channel,
  type ChannelOptions,
  type Client,
  type ClientTransport,
  type Http2Headers,
  type Server,
  type ServiceImpl,
  type TransportBuilder,
} from "../src/index.js";
import { EchoService, type EchoRequestSchema, type EchoResponse } from "./gen/grpckit/test/v1/echo_pb.js";
import { echoImpl } from "./support/echo-service.js";
import { collect, failure, startEcho, type Harness } from "./support/harness.js";

/** What the client transport saw of one stream. */
type StreamEvent =
  | { kind: "headers"; headers: Http2Headers; endStream: boolean }
  | { kind: "data"; chunk: Uint8Array }
  | { kind: "trailers"; headers: Http2Headers }
  | { kind: "close"; rstCode: number | undefined };

interface StreamLog {
  request: Http2Headers;
  events: StreamEvent[];
}

/** Wraps a transport so a test can see every header block and DATA chunk the client receives. */
function recording(inner: TransportBuilder): TransportBuilder & { streams: StreamLog[] } {
  const streams: StreamLog[] = [];
  return {
    name: "recording",
    streams,
    listen: (address, options) => inner.listen(address, options),
    async connect(address, options): Promise<ClientTransport> {
      const t = await inner.connect(address, options);
      return {
        get peer() {
          return t.peer;
        },
        close: () => t.close(),
        destroy: () => t.destroy(),
        ping: () => t.ping(),
        openStream(headers, listener) {
          const log: StreamLog = { request: headers, events: [] };
          streams.push(log);
          return t.openStream(headers, {
            onHeaders(h, endStream) {
              log.events.push({ kind: "headers", headers: h, endStream });
              listener.onHeaders(h, endStream);
            },
            onData(chunk) {
              log.events.push({ kind: "data", chunk });
              listener.onData(chunk);
            },
            onTrailers(h) {
              log.events.push({ kind: "trailers", headers: h });
              listener.onTrailers(h);
            },
            onDrain: () => listener.onDrain(),
            onClose(rstCode, error) {
              log.events.push({ kind: "close", rstCode });
              listener.onClose(rstCode, error);
            },
          });
        },
      };
    },
  };
}

interface Served {
  server: Server;
  channel: Channel;
  client: Client<typeof EchoService>;
}

const toClose: (() => void)[] = [];
let h: Harness | undefined;
let nextName = 1;

afterEach(async () => {
  await h?.close();
  h = undefined;
  for (const f of toClose.splice(0)) f();
});

/** A server with `impl` and a client to it over one transport (in-memory unless given). */
async function serve(
  impl: ServiceImpl<typeof EchoService>,
  opts: { transport?: TransportBuilder; channel?: ChannelOptions } = {},
): Promise<Served> {
  const transport = opts.transport ?? createInMemoryTransport();
  const server = createServer({ transport });
  server.addService(EchoService, impl);
  const name = `edge-${nextName++}`;
  await server.listen(name);
  const channel = createChannel(name, { transport, ...opts.channel });
  toClose.push(() => {
    channel.close();
    server.forceShutdown();
  });
  return { server, channel, client: createClient(EchoService, channel) };
}

/** A channel to a name nobody listens on yet, with a short connection backoff. */
function channelToNowhere(transport: TransportBuilder, name: string): Channel {
  const channel = createChannel(name, { transport, backoff: { baseDelayMs: 50 } });
  toClose.push(() => channel.close());
  return channel;
}

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
beforeAll(() => {
  process.on("unhandledRejection", onUnhandled);
});
afterAll(() => {
  process.off("unhandledRejection", onUnhandled);
});

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function waitFor(cond: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await sleep(2);
  }
}

/** A promise that is never left rejected without a handler, so a failing assertion does not add noise. */
function settled<T>(p: Promise<T>): Promise<T> {
  p.catch(() => {});
  return p;
}

async function* items<T>(...xs: T[]): AsyncIterable<T> {
  for (const x of xs) yield x;
}

const kib4 = new Uint8Array(4096);

describe("flow control", () => {
  it("a client stream to a server that reads slowly holds the client's sending back, so memory stays bounded", async () => {
    let produced = 0;
    let consumed = 0;
    let producedWhen20Consumed = -1;
    const s = await serve({
      echo: (req) => ({ message: req.message }),
      async collect(reqs) {
        for await (const _ of reqs) {
          consumed++;
          if (consumed <= 20) await sleep(3);
          if (consumed === 20) producedWhen20Consumed = produced;
        }
        return { index: consumed };
      },
    });
    await s.client.echo({ message: "connect first" });
    async function* requests() {
      for (let i = 0; i < 300; i++) {
        produced++;
        yield { payload: kib4 };
      }
    }
    const res = await s.client.collect(requests());
    expect(res.index).toBe(300);
    // 16 queued in the server plus one 64 KiB window of 4 KiB messages, and a few in hand.
    expect(producedWhen20Consumed - 20).toBeLessThanOrEqual(64);
  });

  it("a slow reader of a server stream makes the server's writes wait", async () => {
    let produced = 0;
    const s = await serve({
      async *expand() {
        for (let i = 0; i < 300; i++) {
          produced++;
          yield { index: i, payload: kib4 };
        }
      },
    });
    let consumed = 0;
    let producedWhen10Consumed = -1;
    for await (const r of s.client.expand({})) {
      expect(r.index).toBe(consumed);
      consumed++;
      if (consumed <= 10) await sleep(3);
      if (consumed === 10) producedWhen10Consumed = produced;
    }
    expect(consumed).toBe(300);
    expect(producedWhen10Consumed - 10).toBeLessThanOrEqual(64);
  });

  it("a client-streaming call waiting for a connection does not drain its request stream into memory", async () => {
    const transport = createInMemoryTransport();
    const name = `edge-later-${nextName++}`;
    const client = createClient(EchoService, channelToNowhere(transport, name));
    let produced = 0;
    async function* requests() {
      for (let i = 0; i < 2000; i++) {
        produced++;
        yield { message: "x", payload: new Uint8Array(100) };
      }
    }
    const call = settled(client.collect(requests(), { waitForReady: true, timeoutMs: 5000 }));
    await sleep(100);
    // Nothing can be sent yet; the call should hold at most a few messages, not the whole stream.
    expect(produced).toBeLessThanOrEqual(64);
    const server = createServer({ transport });
    server.addService(EchoService, echoImpl());
    await server.listen(name);
    toClose.push(() => server.forceShutdown());
    expect((await call).index).toBe(2000);
  });

  it("a client stream whose server answers early stops pulling requests", async () => {
    let produced = 0;
    let generatorDone = false;
    const s = await serve({
      async collect(reqs) {
        let n = 0;
        for await (const _ of reqs) if (++n === 2) break;
        return { message: "enough", index: n };
      },
    });
    async function* requests() {
      try {
        for (let i = 0; i < 100_000; i++) {
          produced++;
          yield { payload: kib4 };
        }
      } finally {
        generatorDone = true;
      }
    }
    const res = await s.client.collect(requests());
    expect(res.message).toBe("enough");
    await waitFor(() => generatorDone);
    expect(produced).toBeLessThan(1000);
  });
});

describe("cancellation", () => {
  it("cancelling a client-streaming call mid-stream fires the handler's signal and stops the request stream", async () => {
    let seen = 0;
    let handlerAbort: unknown;
    let generatorDone = false;
    const s = await serve({
      async collect(reqs, ctx) {
        ctx.signal.addEventListener("abort", () => (handlerAbort = ctx.signal.reason), { once: true });
        for await (const _ of reqs) seen++;
        return { index: seen };
      },
    });
    const ac = new AbortController();
    async function* requests() {
      try {
        for (let i = 0; i < 1000; i++) {
          yield { message: String(i) };
          await sleep(2);
        }
      } finally {
        generatorDone = true;
      }
    }
    const call = settled(s.client.collect(requests(), { signal: ac.signal }));
    await waitFor(() => seen >= 3);
    ac.abort();
    const err = await failure(call);
    expect(err).toBeInstanceOf(GrpcError);
    expect(err.code).toBe(Code.CANCELLED);
    await waitFor(() => handlerAbort !== undefined);
    expect((handlerAbort as GrpcError).code).toBe(Code.CANCELLED);
    await waitFor(() => generatorDone);
  });

  it("handlers that ignore their signal and finish after the client cancelled end quietly", async () => {
    const started = { echo: false, expand: false, collect: false };
    const finished = { echo: false, expand: false, collect: false };
    let collectSawError: unknown;
    let expandYields = 0;
    const s = await serve({
      async echo(req) {
        started.echo = true;
        if (req.message === "late") await sleep(40);
        finished.echo = true;
        return { message: req.message };
      },
      async *expand() {
        started.expand = true;
        try {
          for (let i = 0; i < 10_000; i++) {
            await sleep(1);
            expandYields++;
            yield { index: i };
          }
        } finally {
          finished.expand = true;
        }
      },
      async collect(reqs) {
        started.collect = true;
        try {
          for await (const _ of reqs);
        } catch (e) {
          collectSawError = e;
        }
        await sleep(20);
        finished.collect = true;
        return { message: "late" };
      },
    });
    const acs = [new AbortController(), new AbortController(), new AbortController()];
    const unary = settled(s.client.echo({ message: "late" }, { signal: acs[0].signal }));
    const stream = settled(collect(s.client.expand({}, { signal: acs[1].signal })));
    async function* forever() {
      for (let i = 0; i < 1000; i++) {
        yield { message: "x" };
        await sleep(5);
      }
    }
    const clientStream = settled(s.client.collect(forever(), { signal: acs[2].signal }));
    await waitFor(() => started.echo && started.expand && started.collect);
    for (const ac of acs) ac.abort();
    for (const p of [unary, stream, clientStream]) expect((await failure(p)).code).toBe(Code.CANCELLED);
    await waitFor(() => finished.echo && finished.expand && finished.collect);
    expect((collectSawError as GrpcError).code).toBe(Code.CANCELLED);
    const yieldsAfterStop = expandYields;
    await sleep(20);
    expect(expandYields).toBe(yieldsAfterStop);
    expect(unhandled).toEqual([]);
    expect((await s.client.echo({ message: "still serving" })).message).toBe("still serving");
    // No call is left behind: a graceful shutdown finishes at once.
    await Promise.race([s.server.shutdown(), sleep(1000).then(() => Promise.reject(new Error("shutdown did not finish")))]);
  });

  it("a server-stream consumer that throws inside for-await gets its own error and cancels the call", async () => {
    h = await startEcho();
    const err = await failure(
      (async () => {
        for await (const r of h!.client.expand({ repeat: 1000, delayMs: 2 })) {
          if (r.index === 2) throw new Error("consumer gave up");
        }
      })(),
    );
    expect(err.message).toBe("consumer gave up");
    await waitFor(() => h!.log.aborted.length === 1);
  });

  it("a signal aborted before the call starts fails it with CANCELLED without reaching the server", async () => {
    h = await startEcho();
    const ac = new AbortController();
    ac.abort();
    expect((await failure(h.client.echo({}, { signal: ac.signal }))).code).toBe(Code.CANCELLED);
    expect((await failure(collect(h.client.expand({ repeat: 1 }, { signal: ac.signal })))).code).toBe(Code.CANCELLED);
    expect(h.log.contexts.length).toBe(0);
  });

  it("a signal shared by many calls keeps no abort listener once they have ended", async () => {
    h = await startEcho();
    const ac = new AbortController();
    await Promise.all(Array.from({ length: 50 }, (_, i) => h!.client.echo({ message: String(i) }, { signal: ac.signal })));
    await collect(h.client.expand({ repeat: 3 }, { signal: ac.signal }));
    await h.client.collect(items({ message: "a" }), { signal: ac.signal });
    expect(getEventListeners(ac.signal, "abort").length).toBe(0);
  });
});

describe("many calls", () => {
  it("500 concurrent unary calls all succeed with their own responses", async () => {
    h = await startEcho();
    const res = await Promise.all(Array.from({ length: 500 }, (_, i) => h!.client.echo({ message: `m${i}` })));
    expect(res.map((r) => r.message)).toEqual(Array.from({ length: 500 }, (_, i) => `m${i}`));
  });

  it("50 concurrent bidi streams each get their own responses in order", async () => {
    h = await startEcho();
    const all = await Promise.all(
      Array.from({ length: 50 }, (_, s) =>
        collect(h!.client.chat(items(...Array.from({ length: 5 }, (_, i) => ({ message: `${s}.${i}` }))))),
      ),
    );
    all.forEach((responses, s) => expect(responses.map((r) => r.message)).toEqual([0, 1, 2, 3, 4].map((i) => `${s}.${i}`)));
  });
});

describe("metadata", () => {
  it("several values per key and -bin keys round-trip in request, header and trailer metadata", async () => {
    let requestMd: Metadata | undefined;
    const s = await serve({
      async echo(req, ctx) {
        requestMd = ctx.metadata;
        for (const [k, v] of ctx.metadata) {
          if (!k.startsWith("x-")) continue;
          ctx.responseHeader.add(k, v);
          ctx.responseTrailer.add(k, v);
        }
        return { message: req.message };
      },
    });
    const md = new Metadata({
      "x-multi": ["a", "b", "c"],
      "x-raw-bin": [new Uint8Array([0, 1, 2]), new Uint8Array([]), new Uint8Array([255, 254, 253, 252])],
    });
    let header: Metadata | undefined;
    let trailer: Metadata | undefined;
    await s.client.echo({ message: "md" }, { metadata: md, onHeader: (m) => (header = m), onTrailer: (m) => (trailer = m) });
    const bytes = (m: Metadata | undefined) => m?.getAll("x-raw-bin").map((v) => [...(v as Uint8Array)]);
    for (const seen of [requestMd, header, trailer]) {
      expect(seen?.getAll("x-multi")).toEqual(["a", "b", "c"]);
      expect(bytes(seen)).toEqual([[0, 1, 2], [], [255, 254, 253, 252]]);
    }
  });

  it("ctx.sendHeader() sends the headers before the first message", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let yielded = false;
    const s = await serve({
      async *expand(_req, ctx) {
        ctx.sendHeader(new Metadata({ "x-early": "yes" }));
        await gate;
        yielded = true;
        yield { message: "first" };
      },
    });
    let header: Metadata | undefined;
    const received: string[] = [];
    const done = settled(
      (async () => {
        for await (const r of s.client.expand({}, { onHeader: (m) => (header = m) })) received.push(r.message);
      })(),
    );
    await waitFor(() => header !== undefined);
    expect(header?.get("x-early")).toBe("yes");
    expect(yielded).toBe(false);
    expect(received).toEqual([]);
    release();
    await done;
    expect(received).toEqual(["first"]);
  });

  it("a handler that throws after sendHeader ends with its status in trailers, after the headers", async () => {
    const transport = recording(createInMemoryTransport());
    const s = await serve(
      {
        async echo(_req, ctx) {
          ctx.sendHeader(new Metadata({ "x-sent": "early" }));
          throw new GrpcError(Code.ABORTED, "after the header", { metadata: new Metadata({ "x-why": "late" }) });
        },
      },
      { transport },
    );
    let header: Metadata | undefined;
    let trailer: Metadata | undefined;
    const err = await failure(s.client.echo({}, { onHeader: (m) => (header = m), onTrailer: (m) => (trailer = m) }));
    expect(err.code).toBe(Code.ABORTED);
    expect(err.rawMessage).toBe("after the header");
    expect(header?.get("x-sent")).toBe("early");
    expect(trailer?.get("x-why")).toBe("late");
    expect(err.metadata.get("x-why")).toBe("late");
    const kinds = transport.streams[0].events.map((e) => (e.kind === "headers" ? `headers(end=${e.endStream})` : e.kind));
    expect(kinds).toEqual(["headers(end=false)", "trailers", "close"]);
    const trailers = transport.streams[0].events[1] as { headers: Http2Headers };
    expect(trailers.headers["grpc-status"]).toBe(String(Code.ABORTED));
  });

  it("onTrailer is called with the trailing metadata when a call fails", async () => {
    const s = await serve({
      async echo(_req, ctx) {
        ctx.responseTrailer.set("x-t", "unary");
        throw new GrpcError(Code.NOT_FOUND, "nothing");
      },
      async *expand(_req, ctx) {
        ctx.responseTrailer.set("x-t", "stream");
        yield { index: 0 };
        throw new GrpcError(Code.DATA_LOSS, "lost");
      },
    });
    const trailers: Metadata[] = [];
    const onTrailer = (m: Metadata) => trailers.push(m);
    expect((await failure(s.client.echo({}, { onTrailer }))).code).toBe(Code.NOT_FOUND);
    expect((await failure(collect(s.client.expand({}, { onTrailer })))).code).toBe(Code.DATA_LOSS);
    expect(trailers.map((t) => t.get("x-t"))).toEqual(["unary", "stream"]);
  });

  it("header metadata set by a handler that fails before any message still reaches the client as header metadata", async () => {
    // grpc-go sends a separate HEADERS frame when the handler set header metadata, so the
    // client sees it as headers, not mixed into the trailers.
    const s = await serve({
      async echo(_req, ctx) {
        ctx.responseHeader.set("x-h", "header");
        ctx.responseTrailer.set("x-t", "trailer");
        throw new GrpcError(Code.FAILED_PRECONDITION, "no");
      },
    });
    let header: Metadata | undefined;
    let trailer: Metadata | undefined;
    const err = await failure(s.client.echo({}, { onHeader: (m) => (header = m), onTrailer: (m) => (trailer = m) }));
    expect(err.code).toBe(Code.FAILED_PRECONDITION);
    expect(header?.get("x-h")).toBe("header");
    expect(trailer?.get("x-t")).toBe("trailer");
    expect(trailer?.has("x-h")).toBe(false);
  });

  it("a server stream whose handler fails before any message answers trailers-only", async () => {
    const transport = recording(createInMemoryTransport());
    const s = await serve(
      {
        async *expand(_req, ctx) {
          ctx.responseTrailer.set("x-t", "only");
          throw new GrpcError(Code.PERMISSION_DENIED, "not you");
        },
      },
      { transport },
    );
    let headerCalls = 0;
    let trailer: Metadata | undefined;
    const err = await failure(collect(s.client.expand({}, { onHeader: () => headerCalls++, onTrailer: (m) => (trailer = m) })));
    expect(err.code).toBe(Code.PERMISSION_DENIED);
    expect(err.rawMessage).toBe("not you");
    expect(trailer?.get("x-t")).toBe("only");
    expect(headerCalls).toBe(0);
    const events = transport.streams[0].events;
    expect(events.map((e) => e.kind)).toEqual(["headers", "close"]);
    const only = events[0] as { headers: Http2Headers; endStream: boolean };
    expect(only.endStream).toBe(true);
    expect(only.headers[":status"]).toBe(200);
    expect(only.headers["content-type"]).toBe("application/grpc");
    expect(only.headers["grpc-status"]).toBe(String(Code.PERMISSION_DENIED));
  });
});

describe("connecting", () => {
  it("waitForReady false on a target nobody listens on fails fast with UNAVAILABLE naming the address", async () => {
    const name = `edge-nowhere-${nextName++}`;
    const client = createClient(EchoService, channelToNowhere(createInMemoryTransport(), name));
    const start = Date.now();
    const err = await failure(client.echo({}));
    expect(Date.now() - start).toBeLessThan(500);
    expect(err.code).toBe(Code.UNAVAILABLE);
    expect(err.rawMessage).toContain(name);
  });

  it("waitForReady true waits and succeeds once the server starts listening", async () => {
    const transport = createInMemoryTransport();
    const name = `edge-later-${nextName++}`;
    const client = createClient(EchoService, channelToNowhere(transport, name));
    const call = settled(client.echo({ message: "patient" }, { waitForReady: true, timeoutMs: 3000 }));
    const stream = settled(collect(client.expand({ message: "s", repeat: 2 }, { waitForReady: true, timeoutMs: 3000 })));
    await sleep(120);
    const server = createServer({ transport });
    server.addService(EchoService, echoImpl());
    await server.listen(name);
    toClose.push(() => server.forceShutdown());
    expect((await call).message).toBe("patient");
    expect((await stream).map((r) => r.index)).toEqual([0, 1]);
  });

  it("a waitForReady call whose deadline passes before a connection ends with DEADLINE_EXCEEDED", async () => {
    const client = createClient(EchoService, channelToNowhere(createInMemoryTransport(), `edge-nowhere-${nextName++}`));
    const start = Date.now();
    const err = await failure(client.echo({}, { waitForReady: true, timeoutMs: 80 }));
    expect(err.code).toBe(Code.DEADLINE_EXCEEDED);
    expect(Date.now() - start).toBeLessThan(1000);
  });

  it("channel.close() fails calls waiting for a connection with CANCELLED saying the channel closed", async () => {
    const channel = channelToNowhere(createInMemoryTransport(), `edge-nowhere-${nextName++}`);
    const client = createClient(EchoService, channel);
    const unary = settled(client.echo({}, { waitForReady: true }));
    const stream = settled(collect(client.expand({}, { waitForReady: true })));
    await sleep(30);
    channel.close();
    for (const p of [unary, stream]) {
      const err = await failure(p);
      expect(err.code).toBe(Code.CANCELLED);
      expect(err.rawMessage).toMatch(/channel closed/);
    }
  });

  it("channel.close() ends the calls in flight on its connections and the handlers see the cancel", async () => {
    h = await startEcho();
    await h.client.echo({ message: "connect first" });
    const start = Date.now();
    const call = settled(h.client.echo({ delayMs: 600 }));
    await waitFor(() => h!.log.contexts.length === 2);
    h.channel.close();
    const err = await failure(call);
    expect(Date.now() - start).toBeLessThan(500);
    expect([Code.CANCELLED, Code.UNAVAILABLE]).toContain(err.code);
    await waitFor(() => h!.log.aborted.length === 1);
  });

  it("a call on a closed channel fails with CANCELLED, like the calls that were waiting when it closed", async () => {
    h = await startEcho();
    h.channel.close();
    const err = await failure(h.client.echo({}));
    expect(err.code).toBe(Code.CANCELLED);
    expect(err.rawMessage).toMatch(/closed/);
  });
});

describe("codecs", () => {
  it("the JSON codec carries every kind of call as application/grpc+json", async () => {
    const transport = recording(createInMemoryTransport());
    const s = await serve(echoImpl(), { transport, channel: { codec: "json" } });
    const unary = await s.client.echo({ message: "u", payload: new Uint8Array([1, 2]) });
    expect(unary.message).toBe("u");
    expect([...unary.payload]).toEqual([1, 2]);
    expect((await collect(s.client.expand({ message: "s", repeat: 2 }))).map((r) => r.index)).toEqual([0, 1]);
    expect((await s.client.collect(items({ message: "a" }, { message: "b" }))).message).toBe("a,b");
    expect((await collect(s.client.chat(items({ message: "x" }, { message: "y" })))).map((r) => r.message)).toEqual(["x", "y"]);
    expect(transport.streams.length).toBe(4);
    for (const st of transport.streams) {
      expect(st.request["content-type"]).toBe("application/grpc+json");
      const headers = st.events.find((e) => e.kind === "headers") as { headers: Http2Headers };
      expect(headers.headers["content-type"]).toBe("application/grpc+json");
    }
    const data = transport.streams[0].events.find((e) => e.kind === "data") as { chunk: Uint8Array };
    expect(JSON.parse(Buffer.from(data.chunk.subarray(5)).toString("utf8"))).toEqual({ message: "u", payload: "AQI=" });
  });
});

describe("status messages", () => {
  const message = "ünïcode ✓ 日本語 🚀 100% done, %41 stays, %zz too\ttab\r\nnext line ";

  it("a GrpcError message with non-ASCII, '%' and control characters round-trips exactly", async () => {
    const s = await serve({
      async echo() {
        throw new GrpcError(Code.INVALID_ARGUMENT, message);
      },
      async *expand() {
        yield { index: 0 };
        throw new GrpcError(Code.INVALID_ARGUMENT, message);
      },
    });
    const unary = await failure(s.client.echo({}));
    expect(unary.rawMessage).toBe(message);
    const stream = await failure(collect(s.client.expand({})));
    expect(stream.code).toBe(Code.INVALID_ARGUMENT);
    expect(stream.rawMessage).toBe(message);
  });
});

describe("deadlines", () => {
  it("the remaining time reaches the handler as ctx.deadline", async () => {
    const seen: { deadline: number | undefined; remaining: number }[] = [];
    const s = await serve({
      async echo(req, ctx) {
        seen.push({ deadline: ctx.deadline, remaining: ctx.timeRemaining() });
        return { message: req.message };
      },
    });
    const before = Date.now();
    await s.client.echo({}, { timeoutMs: 5000 });
    const absolute = Date.now() + 3000;
    await s.client.echo({}, { deadline: new Date(absolute) });
    await s.client.echo({});
    expect(seen[0].deadline).toBeGreaterThanOrEqual(before + 5000 - 100);
    expect(seen[0].deadline).toBeLessThanOrEqual(Date.now() + 5000 + 5);
    expect(seen[0].remaining).toBeLessThanOrEqual(5000);
    expect(seen[0].remaining).toBeGreaterThan(4800);
    expect(Math.abs(seen[1].deadline! - absolute)).toBeLessThanOrEqual(50);
    expect(seen[2].deadline).toBeUndefined();
    expect(seen[2].remaining).toBe(Infinity);
  });

  it("a server stream past its deadline ends with DEADLINE_EXCEEDED after the messages that arrived", async () => {
    h = await startEcho();
    const got: number[] = [];
    const err = await failure(
      (async () => {
        for await (const r of h!.client.expand({ repeat: 100, delayMs: 20 }, { timeoutMs: 150 })) got.push(r.index);
      })(),
    );
    expect(err.code).toBe(Code.DEADLINE_EXCEEDED);
    expect(got.length).toBeGreaterThan(0);
    expect(got).toEqual(got.map((_, i) => i));
    await waitFor(() => h!.log.aborted.length === 1);
  });

  it("calls with a deadline leave no timer running once they end", async () => {
    h = await startEcho();
    await h.client.echo({});
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
    const before = timers();
    await Promise.all(Array.from({ length: 20 }, () => h!.client.echo({}, { timeoutMs: 60_000 })));
    await collect(h.client.expand({ repeat: 3 }, { timeoutMs: 60_000 }));
    await h.client.collect(items({ message: "a" }), { timeoutMs: 60_000 });
    const ac = new AbortController();
    const cancelled = settled(h.client.echo({ delayMs: 10_000 }, { timeoutMs: 60_000, signal: ac.signal }));
    await waitFor(() => h!.log.contexts.length === 24);
    ac.abort();
    await failure(cancelled);
    await waitFor(() => h!.log.aborted.length === 1);
    expect(timers()).toBeLessThanOrEqual(before);
  });
});

describe("cardinality (doc/statuscodes.md)", () => {
  it("a unary response with no message or with two messages ends the call with UNIMPLEMENTED", async () => {
    let responses: number[] = [];
    const transport = createInMemoryTransport();
    const server = createServer({
      transport,
      // An interceptor can answer a unary method with any number of messages.
      interceptors: [() => async () => ({ stream: true, message: items(...responses.map((index) => ({ index }))) })],
    });
    server.addService(EchoService, echoImpl());
    const name = `edge-${nextName++}`;
    await server.listen(name);
    const channel = createChannel(name, { transport });
    toClose.push(() => {
      channel.close();
      server.forceShutdown();
    });
    const client = createClient(EchoService, channel);
    responses = [];
    const none = await failure(client.echo({}));
    expect(none.code).toBe(Code.UNIMPLEMENTED);
    responses = [0, 1];
    const two = await failure(client.echo({}));
    expect(two.code).toBe(Code.UNIMPLEMENTED);
    responses = [7];
    expect((await client.echo({})).index).toBe(7);
  });

  it("a unary method sent two requests or none answers UNIMPLEMENTED", async () => {
    h = await startEcho();
    // A client that treats Echo as client-streaming, to send a request count a typed client cannot.
    const echo = EchoService.method.echo;
    const reshaped = {
      typeName: EchoService.typeName,
      methods: [{ ...echo, methodKind: "client_streaming" }],
    } as unknown as DescService;
    const raw = createClient(reshaped, h.channel) as unknown as {
      echo(requests: AsyncIterable<MessageInitShape<typeof EchoRequestSchema>>): Promise<EchoResponse>;
    };
    const two = await failure(raw.echo(items({ message: "a" }, { message: "b" })));
    expect(two.code).toBe(Code.UNIMPLEMENTED);
    const none = await failure(raw.echo(items()));
    expect(none.code).toBe(Code.UNIMPLEMENTED);
    expect((await raw.echo(items({ message: "one" }))).message).toBe("one");
  });
});

describe("channel connectivity", () => {
  it("a channel that failed to connect stays TRANSIENT_FAILURE while it retries (sticky, gRFC A62)", async () => {
    const channel = channelToNowhere(createInMemoryTransport(), `edge-nowhere-${nextName++}`);
    await failure(createClient(EchoService, channel).echo({}));
    expect(channel.getConnectivityState()).toBe(ConnectivityState.TRANSIENT_FAILURE);
    const ac = new AbortController();
    const change = settled(channel.waitForStateChange(ConnectivityState.TRANSIENT_FAILURE, ac.signal));
    // Several reconnection attempts happen in this time (backoff base 50 ms).
    const seen = await Promise.race([change, sleep(250).then(() => "no change")]);
    ac.abort();
    expect(seen).toBe("no change");
  });

  it("waitForStateChange with an already aborted signal rejects at once with CANCELLED", async () => {
    const channel = channelToNowhere(createInMemoryTransport(), `edge-nowhere-${nextName++}`);
    const ac = new AbortController();
    ac.abort();
    const outcome = await Promise.race([
      channel.waitForStateChange(channel.getConnectivityState(), ac.signal).then(
        () => "changed",
        (e: unknown) => e,
      ),
      sleep(200).then(() => "still waiting"),
    ]);
    expect(outcome).toBeInstanceOf(GrpcError);
    expect((outcome as GrpcError).code).toBe(Code.CANCELLED);
  });
});
