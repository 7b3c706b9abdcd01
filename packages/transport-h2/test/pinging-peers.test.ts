/**
 * Peers that PING on every DATA frame they receive, as grpc-go's BDP estimator can on
 * a fast link, against transport-h2 in both roles; and a client whose calls all time
 * out at once. None of it is abuse: every call must succeed (or end with its own
 * deadline), with no GOAWAY and no second connection.
 */
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { Code, GrpcError, createChannel, createClient, createServer, type Channel, type Server } from "@grpckit/core";
import http2 from "node:http2";
import net, { type AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { EchoRequestSchema, EchoResponseSchema, EchoService } from "../../core/test/gen/grpckit/test/v1/echo_pb.js";
import { echoImpl } from "../../core/test/support/echo-service.js";
import { FrameReader, type FrameHandler } from "../src/frame-reader.js";
import { h2Transport } from "../src/index.js";

const echoPath = "/grpckit.test.v1.EchoService/Echo";
const chatPath = "/grpckit.test.v1.EchoService/Chat";
const sizes = [
  { name: "100 B", bytes: 100 },
  { name: "64 KiB", bytes: 64 * 1024 },
];
const inFlight = 64;
const unaryCalls = 640;
const bidiMessages = 200;

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.reverse()) c();
  cleanups = [];
});

function grpcFrame(message: Uint8Array): Buffer {
  const out = Buffer.alloc(5 + message.byteLength);
  out.writeUInt32BE(message.byteLength, 1);
  out.set(message, 5);
  return out;
}

/** Splits gRPC length-prefixed messages out of arriving bytes. */
class MessageSplitter {
  private pending = Buffer.alloc(0);
  constructor(private readonly onMessage: (message: Buffer) => void) {}
  push(chunk: Buffer): void {
    this.pending = Buffer.concat([this.pending, chunk]);
    while (this.pending.byteLength >= 5 && this.pending.byteLength >= 5 + this.pending.readUInt32BE(1)) {
      const length = this.pending.readUInt32BE(1);
      this.onMessage(this.pending.subarray(5, 5 + length));
      this.pending = this.pending.subarray(5 + length);
    }
  }
}

/** Runs `count` tasks, `concurrency` at a time; resolves with how many failed and the first few reasons. */
async function runAll(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<{ failed: number; reasons: string[] }> {
  let next = 0;
  let failed = 0;
  const reasons: string[] = [];
  const worker = async () => {
    while (next < count) {
      const i = next++;
      try {
        await task(i);
      } catch (e) {
        failed++;
        if (reasons.length < 3) reasons.push(String(e));
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { failed, reasons };
}

describe("a client on node:http2 that pings on every DATA frame it receives, against a grpckit server on transport-h2", () => {
  async function pingingClient(): Promise<{ session: http2.ClientHttp2Session; stats: { goaways: number; pings: number; closedEarly: boolean } }> {
    const server: Server = createServer({ transport: h2Transport() });
    server.addService(EchoService, echoImpl());
    cleanups.push(() => server.forceShutdown());
    const { port } = await server.listen("127.0.0.1:0");
    const session = http2.connect(`http://127.0.0.1:${port}`, { maxOutstandingPings: 1 << 20 });
    const stats = { goaways: 0, pings: 0, closedEarly: false };
    session.on("error", () => {});
    session.on("goaway", () => stats.goaways++);
    session.on("close", () => (stats.closedEarly = true));
    cleanups.push(() => session.destroy());
    // Every DATA frame's payload reaches a stream's "data" listener; each one sends a PING.
    const ping = () => {
      if (session.closed || session.destroyed) return;
      stats.pings++;
      session.ping(() => {});
    };
    (session as unknown as { pingOnData: () => void }).pingOnData = ping;
    return { session, stats };
  }

  function call(session: http2.ClientHttp2Session, path: string, messages: Buffer[], onMessage: (m: Buffer) => void): Promise<void> {
    const ping = (session as unknown as { pingOnData: () => void }).pingOnData;
    return new Promise((resolve, reject) => {
      const req = session.request({ ":method": "POST", ":path": path, "content-type": "application/grpc", te: "trailers" });
      const splitter = new MessageSplitter(onMessage);
      let status: string | undefined;
      req.on("trailers", (t) => (status = t["grpc-status"] as string | undefined));
      req.on("response", (h) => (status ??= h["grpc-status"] as string | undefined));
      req.on("data", (chunk: Buffer) => {
        ping();
        splitter.push(chunk);
      });
      req.on("error", reject);
      req.on("close", () => (status === "0" ? resolve() : reject(new Error(`stream closed with grpc-status ${status}, rst ${req.rstCode}`))));
      for (const m of messages) req.write(m);
      req.end();
    });
  }

  it.each(sizes)("$name unary calls, 64 in flight: none fails, no GOAWAY, one connection", async ({ name, bytes }) => {
    const { session, stats } = await pingingClient();
    const payload = Buffer.alloc(bytes, 7);
    const request = grpcFrame(toBinary(EchoRequestSchema, create(EchoRequestSchema, { message: "u", payload })));
    const { failed, reasons } = await runAll(unaryCalls, inFlight, async () => {
      let echoed = 0;
      await call(session, echoPath, [request], (m) => (echoed = fromBinary(EchoResponseSchema, m).payload.byteLength));
      if (echoed !== bytes) throw new Error(`echoed ${echoed} bytes of ${bytes}`);
    });
    console.log(`pinging client, ${name} unary: ${unaryCalls - failed}/${unaryCalls} ok, ${stats.pings} PINGs sent, ${stats.goaways} GOAWAYs`);
    expect(reasons).toEqual([]);
    expect(failed).toBe(0);
    expect(stats.pings).toBeGreaterThan(unaryCalls / 2);
    expect(stats.goaways).toBe(0);
    expect(stats.closedEarly).toBe(false);
  });

  it.each(sizes)("a bidi stream of $name messages in ping-pong: every message echoed, no GOAWAY, one connection", async ({ name, bytes }) => {
    const { session, stats } = await pingingClient();
    const ping = (session as unknown as { pingOnData: () => void }).pingOnData;
    const payload = Buffer.alloc(bytes, 9);
    const message = grpcFrame(toBinary(EchoRequestSchema, create(EchoRequestSchema, { message: "b", payload })));
    let received = 0;
    // Each message waits for the echo of the one before: a DATA frame (and so a PING)
    // per round trip, as a streaming grpc-go client sees it.
    await new Promise<void>((resolve, reject) => {
      const req = session.request({ ":method": "POST", ":path": chatPath, "content-type": "application/grpc", te: "trailers" });
      let status: string | undefined;
      const splitter = new MessageSplitter(() => {
        received++;
        if (received < bidiMessages) req.write(message);
        else req.end();
      });
      req.on("trailers", (t) => (status = t["grpc-status"] as string | undefined));
      req.on("data", (chunk: Buffer) => {
        ping();
        splitter.push(chunk);
      });
      req.on("error", reject);
      req.on("close", () => (status === "0" ? resolve() : reject(new Error(`stream closed with grpc-status ${status}, rst ${req.rstCode}`))));
      req.write(message);
    });
    console.log(`pinging client, ${name} bidi: ${received}/${bidiMessages} messages echoed, ${stats.pings} PINGs sent, ${stats.goaways} GOAWAYs`);
    expect(received).toBe(bidiMessages);
    expect(stats.pings).toBeGreaterThanOrEqual(bidiMessages);
    expect(stats.goaways).toBe(0);
    expect(stats.closedEarly).toBe(false);
  });
});

describe("a grpckit client on transport-h2 against a node:http2 server that pings on every DATA frame it receives", () => {
  async function pingingServer(): Promise<{ port: number; stats: { sessions: number; goaways: number; pings: number } }> {
    const stats = { sessions: 0, goaways: 0, pings: 0 };
    const server = http2.createServer({ maxOutstandingPings: 1 << 20 });
    server.on("session", (session) => {
      stats.sessions++;
      session.on("goaway", () => stats.goaways++);
      session.on("error", () => {});
    });
    server.on("stream", (stream, headers) => {
      stream.on("error", () => {});
      const path = headers[":path"];
      let responded = false;
      const respond = () => {
        if (responded) return;
        responded = true;
        stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
      };
      stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
      const splitter = new MessageSplitter((m) => {
        const req = fromBinary(EchoRequestSchema, m);
        respond();
        stream.write(grpcFrame(toBinary(EchoResponseSchema, create(EchoResponseSchema, { message: req.message, payload: req.payload }))));
      });
      stream.on("data", (chunk: Buffer) => {
        const session = stream.session;
        if (session !== undefined && !session.closed && !session.destroyed) {
          stats.pings++;
          session.ping(() => {});
        }
        splitter.push(chunk);
      });
      stream.on("end", () => {
        respond();
        stream.end();
      });
      if (path !== echoPath && path !== chatPath) stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    cleanups.push(() => server.close());
    return { port: (server.address() as AddressInfo).port, stats };
  }

  function clientTo(port: number) {
    const channel: Channel = createChannel(`127.0.0.1:${port}`, { transport: h2Transport() });
    cleanups.push(() => channel.close());
    return createClient(EchoService, channel);
  }

  it.each(sizes)("$name unary calls, 64 in flight: none fails, no GOAWAY, one connection", async ({ name, bytes }) => {
    const { port, stats } = await pingingServer();
    const client = clientTo(port);
    const payload = new Uint8Array(bytes).fill(3);
    const { failed, reasons } = await runAll(unaryCalls, inFlight, async () => {
      const reply = await client.echo({ message: "u", payload }, { timeoutMs: 20_000 });
      if (reply.payload.byteLength !== bytes) throw new Error(`echoed ${reply.payload.byteLength} bytes of ${bytes}`);
    });
    console.log(`pinging server, ${name} unary: ${unaryCalls - failed}/${unaryCalls} ok, ${stats.pings} PINGs sent, ${stats.goaways} GOAWAYs, ${stats.sessions} connections`);
    expect(reasons).toEqual([]);
    expect(failed).toBe(0);
    expect(stats.pings).toBeGreaterThan(unaryCalls / 2);
    expect(stats.goaways).toBe(0);
    expect(stats.sessions).toBe(1);
  });

  it.each(sizes)("a bidi stream of $name messages in ping-pong: every message echoed, no GOAWAY, one connection", async ({ name, bytes }) => {
    const { port, stats } = await pingingServer();
    const client = clientTo(port);
    const payload = new Uint8Array(bytes).fill(5);
    let echoed: (() => void) | undefined;
    // Each request waits for the reply to the one before, so every request is a DATA
    // frame of its own and draws a PING.
    async function* requests() {
      for (let i = 0; i < bidiMessages; i++) {
        yield { message: `b${i}`, payload };
        await new Promise<void>((resolve) => (echoed = resolve));
      }
    }
    let received = 0;
    for await (const reply of client.chat(requests(), { timeoutMs: 20_000 })) {
      if (reply.payload.byteLength === bytes) received++;
      echoed?.();
    }
    console.log(`pinging server, ${name} bidi: ${received}/${bidiMessages} messages echoed, ${stats.pings} PINGs sent, ${stats.goaways} GOAWAYs, ${stats.sessions} connections`);
    expect(received).toBe(bidiMessages);
    expect(stats.pings).toBeGreaterThanOrEqual(bidiMessages);
    expect(stats.goaways).toBe(0);
    expect(stats.sessions).toBe(1);
  });
});

describe("a deadline storm", () => {
  /** A TCP proxy that counts connections and the GOAWAY frames the server sends through it. */
  async function countingProxy(upstreamPort: number): Promise<{ port: number; stats: { connections: number; goaways: string[] } }> {
    const stats = { connections: 0, goaways: [] as string[] };
    const proxy = net.createServer((client) => {
      stats.connections++;
      const upstream = net.connect({ port: upstreamPort, host: "127.0.0.1", noDelay: true });
      const ignore: FrameHandler = {
        onData() {},
        onHeaders() {},
        onPriority() {},
        onStreamError() {},
        onRstStream() {},
        onSettings() {},
        onPushPromise() {},
        onPing() {},
        onGoaway: (_last, code, debug) => stats.goaways.push(`${code} ${debug.toString("latin1")}`),
        onWindowUpdate() {},
        onConnectionError() {},
      };
      const reader = new FrameReader(ignore, { maxFrameSize: 1 << 24, expectPreface: false, maxHeaderBlockBytes: 1 << 24, maxContinuationFrames: 1 << 20 });
      upstream.on("data", (chunk: Buffer) => reader.push(chunk));
      client.pipe(upstream);
      upstream.pipe(client);
      client.on("error", () => upstream.destroy());
      upstream.on("error", () => client.destroy());
      cleanups.push(() => {
        client.destroy();
        upstream.destroy();
      });
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    cleanups.push(() => proxy.close());
    return { port: (proxy.address() as AddressInfo).port, stats };
  }

  it("10,000 calls with 1 ms deadlines over one connection all end DEADLINE_EXCEEDED, with no GOAWAY", async () => {
    const server = createServer({ transport: h2Transport() });
    server.addService(EchoService, echoImpl());
    cleanups.push(() => server.forceShutdown());
    const { port } = await server.listen("127.0.0.1:0");
    const proxy = await countingProxy(port!);
    const channel = createChannel(`127.0.0.1:${proxy.port}`, { transport: h2Transport() });
    cleanups.push(() => channel.close());
    const client = createClient(EchoService, channel);
    await client.echo({ message: "warm" });

    const codes = new Map<string, number>();
    await Promise.all(
      Array.from({ length: 10_000 }, (_, i) =>
        client.echo({ message: `late ${i}`, delayMs: 1000 }, { timeoutMs: 1 }).then(
          () => codes.set("OK", (codes.get("OK") ?? 0) + 1),
          (e: unknown) => {
            const code = e instanceof GrpcError ? Code[e.code] : String(e);
            codes.set(code, (codes.get(code) ?? 0) + 1);
          },
        ),
      ),
    );
    // The connection still serves, and it is the same one.
    expect((await client.echo({ message: "after" })).message).toBe("after");
    console.log(`deadline storm: ${JSON.stringify(Object.fromEntries(codes))}; GOAWAYs from the server: ${proxy.stats.goaways.length}; connections: ${proxy.stats.connections}`);
    expect(Object.fromEntries(codes)).toEqual({ DEADLINE_EXCEEDED: 10_000 });
    expect(proxy.stats.goaways).toEqual([]);
    expect(proxy.stats.connections).toBe(1);
  }, 60_000);
});
