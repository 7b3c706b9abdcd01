/**
 * Hostile input against a grpckit server on node:http2, and a hostile server against a
 * grpckit client. Every abuse ends with the server still answering a normal grpckit
 * call and the process's memory back near where it was before.
 */
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { Code, GrpcError, createChannel, createClient, createServer, type Channel, type Server } from "@grpckit/core";
import { http2Transport, type Http2TransportOptions } from "../src/index.js";
import { stalledSessionSweepMs } from "../src/stalled-session-sweep.js";
import { EchoService } from "../../core/test/gen/grpckit/test/v1/echo_pb.js";
import { echoImpl, type EchoLog } from "../../core/test/support/echo-service.js";
import { echoRequestBytes, grpcFrame } from "./abuse/grpc-frame.js";
import { gzipBomb } from "./abuse/gzip-bomb.js";
import { peakRss, settledMemory, MiB, type MemorySample } from "./abuse/memory.js";
import { RawH2Connection, grpcRequestFields, headerBlock } from "./abuse/raw-h2-connection.js";

const echoPath = "/grpckit.test.v1.EchoService/Echo";
const expandPath = "/grpckit.test.v1.EchoService/Expand";
const ENHANCE_YOUR_CALM = http2.constants.NGHTTP2_ENHANCE_YOUR_CALM;
const CANCEL = http2.constants.NGHTTP2_CANCEL;
/** How much a process may keep after an abuse; a leak of what the abuse sent would be far more. */
const memoryBound = 50 * MiB;

interface Running {
  server: Server;
  port: number;
  log: EchoLog;
}

let servers: Server[] = [];
let channels: Channel[] = [];
let raws: RawH2Connection[] = [];
let closers: (() => void)[] = [];

afterEach(() => {
  for (const r of raws) r.close();
  for (const c of channels) c.close();
  for (const s of servers) s.forceShutdown();
  for (const close of closers) close();
  raws = [];
  channels = [];
  servers = [];
  closers = [];
});

async function serve(options: Http2TransportOptions = {}, maxReceiveMessageBytes = 4 * MiB): Promise<Running> {
  const log: EchoLog = { aborted: [], contexts: [] };
  const server = createServer({ transport: http2Transport(options), maxReceiveMessageBytes });
  server.addService(EchoService, echoImpl(log));
  servers.push(server);
  const { port } = await server.listen("127.0.0.1:0");
  return { server, port: port!, log };
}

function clientTo(port: number) {
  const channel = createChannel(`127.0.0.1:${port}`, { transport: http2Transport() });
  channels.push(channel);
  return createClient(EchoService, channel);
}

async function rawTo(port: number, options?: { initialWindowSize?: number }): Promise<RawH2Connection> {
  const c = await RawH2Connection.open(port, options);
  raws.push(c);
  return c;
}

/** A normal call on a fresh connection succeeds. */
async function expectServing(port: number): Promise<void> {
  const reply = await clientTo(port).echo({ message: "still here" }, { timeoutMs: 5000 });
  expect(reply.message).toBe("still here");
}

async function expectMemoryNear(before: MemorySample): Promise<void> {
  const after = await settledMemory();
  expect(after.retained - before.retained).toBeLessThan(memoryBound);
  expect(after.rss - before.rss).toBeLessThan(memoryBound);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function waitUntil(condition: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(10);
  }
}

interface RawResponse {
  status: string | undefined;
  message: string | undefined;
  elapsedMs: number;
}

/** One unary request from node:http2's own client, `body` sent as it is. */
async function rawUnary(port: number, body: Uint8Array, headers: http2.OutgoingHttpHeaders = {}): Promise<RawResponse> {
  const session = http2.connect(`http://127.0.0.1:${port}`);
  session.on("error", () => {});
  closers.push(() => session.destroy());
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const req = session.request({ ":method": "POST", ":path": echoPath, "content-type": "application/grpc", te: "trailers", ...headers });
    let head: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders | undefined;
    req.on("response", (h) => (head = h));
    req.on("trailers", (t) => (trailers = t));
    req.on("data", () => {});
    req.on("error", reject);
    req.on("close", () => {
      const src = trailers ?? head;
      const message = src["grpc-message"] as string | undefined;
      resolve({ status: src["grpc-status"] as string | undefined, message: message === undefined ? undefined : decodeURIComponent(message), elapsedMs: Date.now() - started });
    });
    req.end(body);
  });
}

describe("an oversize header list", () => {
  const cases: [string, [string, string][]][] = [
    ["1 MiB of headers (256 of 4 KiB)", Array.from({ length: 256 }, (_, i) => [`x-big-${i}`, "a".repeat(4096)])],
    ["a single 1 MiB header (node stops reading after its GOAWAY COMPRESSION_ERROR)", [["x-huge", "a".repeat(MiB)]]],
    ["10,000 small headers", Array.from({ length: 10_000 }, (_, i) => [`x-h${i}`, "v"])],
  ];
  it.each(cases)("%s is refused without reaching a handler, other connections still get answers, and the connection is closed or still serving", async (_, fields) => {
    const s = await serve();
    const bystander = clientTo(s.port);
    await bystander.echo({ message: "before" });
    const before = await settledMemory();

    const c = await rawTo(s.port);
    const id = c.newStreamId();
    c.sendHeaders(id, grpcRequestFields(echoPath, fields), false);
    c.sendData(id, grpcFrame(echoRequestBytes({ message: "x" })), true);
    await c.waitFor(() => c.resets.has(id) || c.goaways.length > 0, 5000, "the server to refuse the stream");

    expect(c.headersSeen.has(id)).toBe(false);
    expect(s.log.contexts).toHaveLength(1);
    expect((await bystander.echo({ message: "after" })).message).toBe("after");
    await expectServing(s.port);
    await expectNotStalled(c);
    c.close();
    await expectMemoryNear(before);
  });
});

/** A unary call on the raw connection gets its response. */
async function expectAnswered(c: RawH2Connection): Promise<void> {
  const id = c.newStreamId();
  c.sendHeaders(id, grpcRequestFields(echoPath));
  c.sendData(id, grpcFrame(echoRequestBytes({ message: "next" })), true);
  await c.waitFor(() => c.ended.has(id), 5000, "an answer on the same connection");
  expect(c.dataBytes.get(id)).toBeGreaterThan(0);
}

/**
 * After a refusal the connection is either closed by the server or still answering
 * calls: never left open and unserved.
 */
async function expectNotStalled(c: RawH2Connection): Promise<void> {
  if (c.goaways.length === 0 && !c.destroyed) {
    const id = c.newStreamId();
    c.sendHeaders(id, grpcRequestFields(echoPath));
    c.sendData(id, grpcFrame(echoRequestBytes({ message: "next" })), true);
    await c.waitFor(() => c.ended.has(id) || c.destroyed, 5000, "an answer on the same connection");
    if (c.ended.has(id)) return;
  }
  await c.waitFor(() => c.destroyed, 3 * stalledSessionSweepMs, "the server to close the connection");
}

/** `count` streams opened and reset in one write, as a rapid-reset attacker sends them. */
function rapidReset(c: RawH2Connection, count: number): void {
  const block = headerBlock(grpcRequestFields(echoPath));
  const frames: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const id = c.newStreamId();
    frames.push(...c.headersFrames(id, block, false), c.rstStreamFrame(id, CANCEL));
  }
  c.write(frames);
}

describe("rapid reset (CVE-2023-44487)", () => {
  it("5,000 streams opened and reset in a burst get GOAWAY ENHANCE_YOUR_CALM too_many_resets and a closed connection", async () => {
    const s = await serve();
    const bystander = clientTo(s.port);
    await bystander.echo({ message: "before" });
    const before = await settledMemory();

    const c = await rawTo(s.port);
    rapidReset(c, 5000);
    await c.waitFor(() => c.destroyed, 5000, "the server to close the connection");

    expect(c.goaways[0]).toMatchObject({ code: ENHANCE_YOUR_CALM, debug: "too_many_resets" });
    expect((await bystander.echo({ message: "after" })).message).toBe("after");
    await expectServing(s.port);
    await expectMemoryNear(before);
  });

  it("a few hundred resets in a second are within the default limit: the connection keeps serving", async () => {
    const s = await serve();
    const c = await rawTo(s.port);
    rapidReset(c, 300);
    await expectAnswered(c);

    expect(c.goaways).toEqual([]);
    expect(c.destroyed).toBe(false);
  });

  it("resets are counted per second: two bursts of 400 a second apart keep the connection", async () => {
    const s = await serve();
    const c = await rawTo(s.port);
    rapidReset(c, 400);
    // An answer on the same connection shows the server has read the whole burst.
    await expectAnswered(c);
    await sleep(1100);
    rapidReset(c, 400);
    await expectAnswered(c);

    expect(c.goaways).toEqual([]);
    expect(c.destroyed).toBe(false);
    await expectServing(s.port);
  });

  it("maxResetsPerSecond sets the limit", async () => {
    const s = await serve({ maxResetsPerSecond: 50 });
    const c = await rawTo(s.port);
    rapidReset(c, 100);
    await c.waitFor(() => c.destroyed, 5000, "the server to close the connection");

    expect(c.goaways[0]).toMatchObject({ code: ENHANCE_YOUR_CALM, debug: "too_many_resets" });
    await expectServing(s.port);
  });

  it("with maxResetsPerSecond: Infinity, node:http2's GOAWAY INTERNAL_ERROR leaves the connection open until the stalled-connection sweep closes it", async () => {
    const s = await serve({ maxResetsPerSecond: Infinity });
    const c = await rawTo(s.port);
    rapidReset(c, 2000);
    await c.waitFor(() => c.goaways.length > 0, 5000, "node's GOAWAY");
    await sleep(200);

    expect(c.goaways[0].code).toBe(http2.constants.NGHTTP2_INTERNAL_ERROR);
    expect(c.destroyed).toBe(false);
    await c.waitFor(() => c.destroyed, 3 * stalledSessionSweepMs, "the server to close the connection");
    expect(c.goaways.some((g) => g.code === ENHANCE_YOUR_CALM)).toBe(false);
    await expectServing(s.port);
  });

  it("a negative maxResetsPerSecond is refused", () => {
    expect(() => http2Transport({ maxResetsPerSecond: -1 })).toThrow(RangeError);
  });
});

describe("a client that never reads", () => {
  /** A server-streaming call of 10,000 responses of 256 KiB each (2.5 GiB if buffered whole). */
  function openFlood(c: RawH2Connection, extra: [string, string][] = []): number {
    const id = c.newStreamId();
    c.sendHeaders(id, grpcRequestFields(expandPath, extra));
    c.sendData(id, grpcFrame(echoRequestBytes({ message: "z".repeat(256 * 1024), repeat: 10_000 })), true);
    return id;
  }

  it("gets no more than its window, the server's memory stays bounded, and its reset ends the call", async () => {
    const s = await serve();
    const before = await settledMemory();
    const c = await rawTo(s.port);
    const id = openFlood(c);
    await c.waitFor(() => (c.dataBytes.get(id) ?? 0) >= 65_535, 5000, "the first window of responses");
    await sleep(500);

    expect(c.dataBytes.get(id)).toBe(65_535);
    const during = await settledMemory();
    expect(during.retained - before.retained).toBeLessThan(memoryBound);

    c.sendRstStream(id, CANCEL);
    await waitUntil(() => s.log.aborted.length === 1, 5000, "the handler to see the cancellation");
    await expectServing(s.port);
    c.close();
    await expectMemoryNear(before);
  });

  it("has its call ended when its deadline passes", async () => {
    const s = await serve();
    const before = await settledMemory();
    const c = await rawTo(s.port);
    const started = Date.now();
    const id = openFlood(c, [["grpc-timeout", "300m"]]);
    await c.waitFor(() => c.resets.has(id) || c.ended.has(id), 5000, "the server to end the stream");

    expect(c.dataBytes.get(id) ?? 0).toBeLessThanOrEqual(65_535);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    await waitUntil(() => s.log.aborted.length === 1, 5000, "the handler to see the deadline");
    await expectServing(s.port);
    c.close();
    await expectMemoryNear(before);
  });
});

describe("hostile message frames", () => {
  it("a gzip message inflating to 1 GiB gets RESOURCE_EXHAUSTED quickly, without being inflated whole", async () => {
    const s = await serve();
    const bomb = gzipBomb(1024);
    const before = await settledMemory();
    const peakBefore = peakRss();
    const r = await rawUnary(s.port, grpcFrame(bomb, { compressed: true }), { "grpc-encoding": "gzip" });

    expect(peakRss() - peakBefore).toBeLessThan(memoryBound);
    expect(r.status).toBe(String(Code.RESOURCE_EXHAUSTED));
    expect(r.message).toContain(String(4 * MiB));
    expect(r.elapsedMs).toBeLessThan(2000);
    expect(s.log.contexts).toHaveLength(0);
    await expectServing(s.port);
    await expectMemoryNear(before);
  });

  it("a length prefix of 4 GiB (0xFFFFFFFF) gets RESOURCE_EXHAUSTED", async () => {
    const s = await serve();
    const before = await settledMemory();
    const r = await rawUnary(s.port, grpcFrame(new Uint8Array(64), { declaredLength: 0xffffffff }));

    expect(r.status).toBe(String(Code.RESOURCE_EXHAUSTED));
    expect(r.message).toContain(String(0xffffffff));
    await expectServing(s.port);
    await expectMemoryNear(before);
  });

  it("a stream half-closed after 3 of 10 announced bytes gets INTERNAL naming the truncation", async () => {
    const s = await serve();
    const r = await rawUnary(s.port, grpcFrame(new Uint8Array([1, 2, 3]), { declaredLength: 10 }));

    expect(r.status).toBe(String(Code.INTERNAL));
    expect(r.message).toContain("3 of 10 bytes");
    await expectServing(s.port);
  });
});

describe("a hostile grpc-message from a server", () => {
  /** A node:http2 server answering every call with trailers-only `grpc-status: 13` and `grpc-message` as given. */
  async function rawServer(grpcMessage: string): Promise<number> {
    const server = http2.createServer();
    server.on("stream", (stream) => {
      stream.on("error", () => {});
      stream.respond({ ":status": 200, "content-type": "application/grpc", "grpc-status": "13", "grpc-message": grpcMessage }, { endStream: true });
    });
    server.on("session", (session) => session.on("error", () => {}));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const sessions = new Set<http2.ServerHttp2Session>();
    server.on("session", (session) => sessions.add(session));
    closers.push(() => {
      for (const session of sessions) session.destroy();
      server.close();
    });
    return (server.address() as AddressInfo).port;
  }

  async function statusFrom(grpcMessage: string): Promise<GrpcError> {
    const port = await rawServer(grpcMessage);
    const error = await clientTo(port)
      .echo({ message: "x" }, { timeoutMs: 5000 })
      .then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(GrpcError);
    return error as GrpcError;
  }

  it("percent-encoded bytes that are not UTF-8 reach the caller as U+FFFD, the rest intact", async () => {
    const e = await statusFrom("bad %FF%FE bytes %C3");
    expect(e.code).toBe(Code.INTERNAL);
    expect(e.rawMessage).toContain("bad \uFFFD\uFFFD bytes \uFFFD");
  });

  it("raw bytes over 0x7F that should have been percent-encoded reach the caller one character per byte", async () => {
    const e = await statusFrom("caf\u00e9 \u00ff\u00fe");
    expect(e.code).toBe(Code.INTERNAL);
    expect(e.rawMessage).toBe("caf\u00e9 \u00ff\u00fe");
  });

  it("malformed percent escapes are kept as they are", async () => {
    const e = await statusFrom("100% %zz and %4");
    expect(e.code).toBe(Code.INTERNAL);
    expect(e.rawMessage).toContain("100% %zz and %4");
  });
});
