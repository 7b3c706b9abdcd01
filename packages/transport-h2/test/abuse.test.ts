/**
 * Hostile input against a grpckit server on transport-h2, and a hostile server against a
 * grpckit client on transport-h2. Every abuse ends with the server still answering a
 * normal grpckit call and the process's memory back near where it was before.
 */
import http2 from "node:http2";
import net, { type AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { Code, GrpcError, createChannel, createClient, createServer, type Channel, type Server } from "@grpckit/core";
import { h2Transport, type H2TransportOptions } from "../src/index.js";
import { ErrorCode, Flag, FrameType, connectionPreface, frame, headersFrames, pingFrame, settingsFrame, windowUpdateFrame } from "../src/frame.js";
import { EchoService } from "../../core/test/gen/grpckit/test/v1/echo_pb.js";
import { echoImpl, type EchoLog } from "../../core/test/support/echo-service.js";
import { echoRequestBytes, grpcFrame } from "../../transport-http2/test/abuse/grpc-frame.js";
import { gzipBomb } from "../../transport-http2/test/abuse/gzip-bomb.js";
import { peakRss, settledMemory, MiB, type MemorySample } from "../../transport-http2/test/abuse/memory.js";
import { RawH2Connection, grpcRequestFields, headerBlock } from "../../transport-http2/test/abuse/raw-h2-connection.js";
import { ProbeConnection } from "./abuse/probe-connection.js";

const echoPath = "/grpckit.test.v1.EchoService/Echo";
const expandPath = "/grpckit.test.v1.EchoService/Expand";
const collectPath = "/grpckit.test.v1.EchoService/Collect";
/** How much a process may keep after an abuse; a leak of what the abuse sent would be far more. */
const memoryBound = 50 * MiB;
/** The server's SETTINGS_MAX_HEADER_LIST_SIZE by default. */
const maxHeaderListSize = 65_536;

interface Running {
  server: Server;
  port: number;
  log: EchoLog;
}

let servers: Server[] = [];
let channels: Channel[] = [];
let raws: { close(): void }[] = [];
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

async function serve(options: H2TransportOptions = {}, maxReceiveMessageBytes = 4 * MiB): Promise<Running> {
  const log: EchoLog = { aborted: [], contexts: [] };
  const server = createServer({ transport: h2Transport(options), maxReceiveMessageBytes });
  server.addService(EchoService, echoImpl(log));
  servers.push(server);
  const { port } = await server.listen("127.0.0.1:0");
  return { server, port: port!, log };
}

function clientTo(port: number) {
  const channel = createChannel(`127.0.0.1:${port}`, { transport: h2Transport() });
  channels.push(channel);
  return createClient(EchoService, channel);
}

async function rawTo(port: number, options?: { initialWindowSize?: number }): Promise<RawH2Connection> {
  const c = await RawH2Connection.open(port, options);
  raws.push(c);
  return c;
}

async function probeTo(port: number): Promise<ProbeConnection> {
  const c = await ProbeConnection.open(port);
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

/** A unary call on the raw connection gets its response. */
async function expectAnswered(c: RawH2Connection): Promise<void> {
  const id = c.newStreamId();
  c.sendHeaders(id, grpcRequestFields(echoPath));
  c.sendData(id, grpcFrame(echoRequestBytes({ message: "next" })), true);
  await c.waitFor(() => c.ended.has(id), 5000, "an answer on the same connection");
  expect(c.dataBytes.get(id)).toBeGreaterThan(0);
}

/** A unary call on the probe's connection gets an OK answer echoing its message. */
async function expectProbeAnswered(c: ProbeConnection): Promise<void> {
  const id = c.newStreamId();
  c.write(headersFrames(id, headerBlock(grpcRequestFields(echoPath)), false, 16_384));
  c.write(frame(FrameType.DATA, Flag.END_STREAM, id, grpcFrame(echoRequestBytes({ message: "next" }))));
  await c.waitFor(() => c.finished(id), 5000, "an answer on the same connection");
  const s = c.stream(id);
  expect(s.rstCode).toBeUndefined();
  expect(s.headerBlocks.at(-1)?.["grpc-status"]).toBe("0");
  expect(Buffer.concat(s.data).toString("latin1")).toContain("next");
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

/**
 * Keeps `inFlight` normal calls going from a second connection until `stop` is
 * called; resolves with how many succeeded and the failures.
 */
function bystanderCalls(port: number, inFlight = 4): { stop(): Promise<{ ok: number; failures: string[] }> } {
  const client = clientTo(port);
  let running = true;
  let ok = 0;
  const failures: string[] = [];
  const loop = async (n: number) => {
    for (let i = 0; running && i < 10_000; i++) {
      try {
        const reply = await client.echo({ message: `bystander ${n}.${i}` }, { timeoutMs: 5000 });
        if (reply.message === `bystander ${n}.${i}`) ok++;
        else failures.push(`call ${n}.${i} echoed ${reply.message}`);
      } catch (e) {
        failures.push(String(e));
      }
    }
  };
  const loops = Array.from({ length: inFlight }, (_, n) => loop(n));
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      return { ok, failures };
    },
  };
}

describe("an oversize header list", () => {
  interface OversizeCase {
    name: string;
    fields: [string, string][];
    outcome: "GOAWAY ENHANCE_YOUR_CALM" | "RESOURCE_EXHAUSTED";
  }
  const cases: OversizeCase[] = [
    {
      name: "1 MiB of headers (256 of 4 KiB), more than twice the limit encoded",
      fields: Array.from({ length: 256 }, (_, i) => [`x-big-${i}`, "a".repeat(4096)]),
      outcome: "GOAWAY ENHANCE_YOUR_CALM",
    },
    { name: "a single 1 MiB header", fields: [["x-huge", "a".repeat(MiB)]], outcome: "GOAWAY ENHANCE_YOUR_CALM" },
    {
      name: "10,000 small headers (110 KB encoded, 400 KB decoded)",
      fields: Array.from({ length: 10_000 }, (_, i) => [`x-h${i}`, "v"]),
      outcome: "RESOURCE_EXHAUSTED",
    },
    {
      name: "70 KiB of headers, just over the limit",
      fields: Array.from({ length: 35 }, (_, i) => [`x-mid-${i}`, "b".repeat(2048)]),
      outcome: "RESOURCE_EXHAUSTED",
    },
  ];
  it.each(cases)("$name is refused with $outcome without reaching a handler, and other connections still get answers", async ({ fields, outcome }) => {
    const s = await serve();
    const bystander = clientTo(s.port);
    await bystander.echo({ message: "before" });
    const before = await settledMemory();

    const c = await probeTo(s.port);
    const id = c.newStreamId();
    c.write(headersFrames(id, headerBlock(grpcRequestFields(echoPath, fields)), false, 16_384));
    c.write(frame(FrameType.DATA, Flag.END_STREAM, id, grpcFrame(echoRequestBytes({ message: "x" }))));

    if (outcome === "GOAWAY ENHANCE_YOUR_CALM") {
      await c.waitFor(() => c.destroyed, 5000, "the server to close the connection");
      expect(c.goaways).toHaveLength(1);
      expect(c.goaways[0]).toMatchObject({ code: ErrorCode.ENHANCE_YOUR_CALM, lastStreamId: 0 });
      expect(c.stream(id).headerBlocks).toEqual([]);
    } else {
      await c.waitFor(() => c.stream(id).ended, 5000, "the trailers-only answer");
      const [answer, ...more] = c.stream(id).headerBlocks;
      expect(more).toEqual([]);
      expect(answer).toMatchObject({ ":status": "200", "content-type": "application/grpc", "grpc-status": String(Code.RESOURCE_EXHAUSTED) });
      expect(answer["grpc-message"]).toContain(String(maxHeaderListSize));
      expect(c.stream(id).data).toEqual([]);
      expect(c.goaways).toEqual([]);
    }
    expect(s.log.contexts).toHaveLength(1);

    if (outcome === "RESOURCE_EXHAUSTED") await expectProbeAnswered(c);
    expect((await bystander.echo({ message: "after" })).message).toBe("after");
    await expectServing(s.port);
    c.close();
    await expectMemoryNear(before);
  });
});

/** `count` streams opened and reset in one write, as a rapid-reset attacker sends them. */
function rapidReset(c: RawH2Connection, count: number): void {
  const block = headerBlock(grpcRequestFields(echoPath));
  const frames: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const id = c.newStreamId();
    frames.push(...c.headersFrames(id, block, false), c.rstStreamFrame(id, ErrorCode.CANCEL));
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

    expect(c.goaways).toHaveLength(1);
    expect(c.goaways[0]).toMatchObject({ code: ErrorCode.ENHANCE_YOUR_CALM, debug: "too_many_resets" });
    // The last stream processed is the one whose reset passed the limit, not the last opened.
    expect(c.goaways[0].lastStreamId).toBeLessThan(2 * 5000);
    expect((await bystander.echo({ message: "after" })).message).toBe("after");
    await expectServing(s.port);
    await expectMemoryNear(before);
  });

  it("a few hundred resets in a second are within the default limit of 500: the connection keeps serving", async () => {
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

    expect(c.goaways[0]).toMatchObject({ code: ErrorCode.ENHANCE_YOUR_CALM, debug: "too_many_resets" });
    await expectServing(s.port);
  });

  it("with maxResetsPerSecond: Infinity, 2,000 resets in a burst leave the connection serving", async () => {
    const s = await serve({ maxResetsPerSecond: Infinity });
    const before = await settledMemory();
    const c = await rawTo(s.port);
    rapidReset(c, 2000);
    await expectAnswered(c);

    expect(c.goaways).toEqual([]);
    expect(c.destroyed).toBe(false);
    await expectServing(s.port);
    c.close();
    await expectMemoryNear(before);
  });

  it("a negative or NaN maxResetsPerSecond is refused", () => {
    expect(() => h2Transport({ maxResetsPerSecond: -1 })).toThrow(RangeError);
    expect(() => h2Transport({ maxResetsPerSecond: Number.NaN })).toThrow(RangeError);
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
    expect(c.ended.has(id)).toBe(false);
    const during = await settledMemory();
    expect(during.retained - before.retained).toBeLessThan(memoryBound);
    expect(s.log.aborted).toEqual([]);

    c.sendRstStream(id, ErrorCode.CANCEL);
    await waitUntil(() => s.log.aborted.length === 1, 5000, "the handler to see the cancellation");
    await expectServing(s.port);
    c.close();
    await expectMemoryNear(before);
  });

  it("stays connected while it stalls, since transport-h2 has no stalled-session sweep, and is served again once it returns the connection window", async () => {
    const s = await serve();
    const c = await rawTo(s.port);
    const id = openFlood(c);
    await c.waitFor(() => (c.dataBytes.get(id) ?? 0) >= 65_535, 5000, "the first window of responses");
    await sleep(1500);

    expect(c.destroyed).toBe(false);
    expect(c.goaways).toEqual([]);
    expect(c.dataBytes.get(id)).toBe(65_535);
    c.sendRstStream(id, ErrorCode.CANCEL);
    // The reset stream's DATA used up the connection window; a new call's DATA needs it back.
    const next = c.newStreamId();
    c.sendHeaders(next, grpcRequestFields(echoPath));
    c.sendData(next, grpcFrame(echoRequestBytes({ message: "next" })), true);
    await c.waitFor(() => c.headersSeen.has(next), 5000, "the next call's response headers");
    await sleep(100);
    expect(c.dataBytes.get(next) ?? 0).toBe(0);
    c.write([windowUpdateFrame(0, 1 << 20)]);
    await c.waitFor(() => c.ended.has(next), 5000, "the next call's response");
    expect(c.dataBytes.get(next)).toBeGreaterThan(0);
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

describe("calls opened and never finished", () => {
  it("5,000 of them on one connection hold bounded memory, and closing the connection ends every handler and frees it", async () => {
    const s = await serve();
    const before = await settledMemory();
    const c = await rawTo(s.port);
    const block = headerBlock(grpcRequestFields(collectPath));
    const frames: Buffer[] = [];
    for (let i = 0; i < 5000; i++) frames.push(...c.headersFrames(c.newStreamId(), block, false));
    c.write(frames);
    await waitUntil(() => s.log.contexts.length === 5000, 10_000, "5,000 handlers to start");

    const during = await settledMemory();
    expect(during.retained - before.retained).toBeLessThan(memoryBound);
    expect(s.log.aborted).toEqual([]);
    c.close();
    await waitUntil(() => s.log.aborted.length === 5000, 10_000, "every handler to see the connection go");
    await expectServing(s.port);
    await expectMemoryNear(before);
  });
});

describe("control-frame floods from a raw socket", () => {
  const opaque = Buffer.from("floodme!", "latin1");
  interface Flood {
    name: string;
    /** Opens what the flood needs and returns its frames. */
    frames(c: RawH2Connection, count: number): Buffer[];
    option: "maxEmptyDataFramesPerSecond";
    defaultLimit: number;
    debug: string;
  }
  /**
   * Keepalive enforcement, which already sends away a client that pings often while no
   * call is open, is opened up so that the flood limits themselves are what is tested.
   */
  const options = (more: H2TransportOptions = {}): H2TransportOptions => ({ keepaliveEnforcement: { minTimeMs: 0, permitWithoutCalls: true }, ...more });
  /** A client-streaming call left open, so that DATA frames on it are legal. */
  function openCollect(c: RawH2Connection): number {
    const id = c.newStreamId();
    c.sendHeaders(id, grpcRequestFields(collectPath));
    return id;
  }
  const floods: Flood[] = [
    {
      name: "an empty-DATA flood",
      frames: (c, count) => {
        const id = openCollect(c);
        return Array.from({ length: count }, () => frame(FrameType.DATA, 0, id));
      },
      option: "maxEmptyDataFramesPerSecond",
      defaultLimit: 1000,
      debug: "too_many_empty_frames",
    },
  ];

  it.each(floods)("$name past its default limit of $defaultLimit a second gets GOAWAY ENHANCE_YOUR_CALM, while another connection's calls keep succeeding", async (flood) => {
    const s = await serve(options());
    await expectServing(s.port);
    const before = await settledMemory();
    const calls = bystanderCalls(s.port);
    await sleep(50);

    const c = await rawTo(s.port);
    c.write(flood.frames(c, 3 * flood.defaultLimit));
    await c.waitFor(() => c.destroyed, 5000, "the server to close the connection");
    await sleep(50);
    const { ok, failures } = await calls.stop();

    expect(c.goaways).toHaveLength(1);
    expect(c.goaways[0]).toMatchObject({ code: ErrorCode.ENHANCE_YOUR_CALM, debug: flood.debug });
    expect(failures).toEqual([]);
    expect(ok).toBeGreaterThan(0);
    await expectServing(s.port);
    await expectMemoryNear(before);
  });

  it.each(floods)("$name within its limit leaves the connection serving", async (flood) => {
    const s = await serve(options());
    const c = await rawTo(s.port);
    c.write(flood.frames(c, Math.floor(flood.defaultLimit / 2)));
    await expectAnswered(c);

    expect(c.goaways).toEqual([]);
    expect(c.destroyed).toBe(false);
  });

  it.each(floods)("$name past a limit set with $option gets GOAWAY ENHANCE_YOUR_CALM", async (flood) => {
    const s = await serve(options({ [flood.option]: 10 }));
    const c = await rawTo(s.port);
    c.write(flood.frames(c, 20));
    await c.waitFor(() => c.destroyed, 5000, "the server to close the connection");

    expect(c.goaways[0]).toMatchObject({ code: ErrorCode.ENHANCE_YOUR_CALM, debug: flood.debug });
    await expectServing(s.port);
  });

  const answerFloods = [
    { name: "PING", frame: pingFrame(opaque, false) },
    { name: "SETTINGS", frame: settingsFrame([]) },
  ];

  it.each(answerFloods)("a $name flood of 3,000 in a burst from a client that reads gets every ACK and no GOAWAY: no rate limit", async ({ frame: f }) => {
    const s = await serve(options());
    const c = await rawTo(s.port);
    c.write(Array<Buffer>(3000).fill(f));
    await expectAnswered(c);

    expect(c.goaways).toEqual([]);
    expect(c.destroyed).toBe(false);
  });

  it.each(answerFloods)(
    "a $name flood from a client that never reads stops being read once its ACKs queue up: bounded memory, and another connection's calls keep succeeding",
    async ({ name, frame: f }) => {
      const s = await serve(options());
      await expectServing(s.port);
      const before = await settledMemory();
      const calls = bystanderCalls(s.port);
      const socket = net.connect({ port: s.port, host: "127.0.0.1", noDelay: true });
      closers.push(() => socket.destroy());
      socket.on("error", () => {});
      let closed = false;
      socket.once("close", () => (closed = true));
      await new Promise((resolve) => socket.once("connect", resolve));
      // Never read: no "data" listener, so node stops reading once its buffer is full.
      socket.write(Buffer.concat([connectionPreface, settingsFrame([])]));
      const chunk = Buffer.concat(Array<Buffer>(4096).fill(f));
      const end = Date.now() + 2000;
      let offered = 0;
      while (!closed && Date.now() < end) {
        offered += chunk.byteLength;
        if (!socket.write(chunk)) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, Math.max(0, end - Date.now()));
            socket.once("drain", () => {
              clearTimeout(timer);
              resolve();
            });
          });
        }
        await new Promise((resolve) => setImmediate(resolve));
      }
      const taken = socket.bytesWritten - socket.writableLength;
      const { ok, failures } = await calls.stop();
      // The echo service's log keeps every call's context; the bystander's are not the flood's.
      s.log.contexts.length = 0;
      const after = await settledMemory();
      console.log(
        `${name} flood, never read: the server took ${(taken / MiB).toFixed(1)} MiB of ${(offered / MiB).toFixed(0)} MiB offered in 2 s; ` +
          `bystander ${ok} calls ok, ${failures.length} failed; retained memory +${((after.retained - before.retained) / MiB).toFixed(1)} MiB`,
      );

      // The kernel's buffers hold a few MiB; a server still reading would have taken all of it.
      expect(taken).toBeLessThan(32 * MiB);
      expect(closed).toBe(false);
      expect(failures).toEqual([]);
      expect(ok).toBeGreaterThan(0);
      socket.destroy();
      await expectServing(s.port);
      await expectMemoryNear(before);
    },
  );

  it("a header block cut into more than 64 CONTINUATION frames gets GOAWAY ENHANCE_YOUR_CALM, while another connection's calls keep succeeding", async () => {
    const s = await serve();
    const before = await settledMemory();
    const calls = bystanderCalls(s.port);
    const c = await rawTo(s.port);
    const id = c.newStreamId();
    const block = headerBlock(grpcRequestFields(echoPath, [["x-pad", "p".repeat(200)]]));
    const frames: Buffer[] = [frame(FrameType.HEADERS, 0, id, block.subarray(0, 1))];
    for (let i = 1; i < block.byteLength; i++) frames.push(frame(FrameType.CONTINUATION, i === block.byteLength - 1 ? Flag.END_HEADERS : 0, id, block.subarray(i, i + 1)));
    c.write(frames);
    await c.waitFor(() => c.destroyed, 5000, "the server to close the connection");
    const { ok, failures } = await calls.stop();

    expect(c.goaways[0].code).toBe(ErrorCode.ENHANCE_YOUR_CALM);
    expect(c.headersSeen.has(id)).toBe(false);
    expect(s.log.contexts.some((ctx) => ctx.metadata.get("x-pad") !== undefined)).toBe(false);
    expect(failures).toEqual([]);
    expect(ok).toBeGreaterThan(0);
    await expectServing(s.port);
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

describe("a hostile grpc-message from a server, read by a client on transport-h2", () => {
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

describe("a hostile server against a client on transport-h2", () => {
  interface HostileServer {
    port: number;
    /** GOAWAY frames the client sent. */
    goaways: { code: number; debug: string }[];
    /** RST_STREAM codes the client sent, by stream id. */
    resets: Map<number, number>;
  }

  /**
   * A raw HTTP/2 server over node:net: it sends an empty SETTINGS, ACKs the client's,
   * records the client's GOAWAY and RST_STREAM frames, and answers each request
   * (HEADERS on a new stream) with `attack`.
   */
  async function hostileServer(attack: (socket: net.Socket, streamId: number) => void): Promise<HostileServer> {
    const found: HostileServer = { port: 0, goaways: [], resets: new Map() };
    const sockets = new Set<net.Socket>();
    const server = net.createServer((socket) => {
      sockets.add(socket);
      socket.on("error", () => {});
      socket.write(settingsFrame([]));
      let buf = Buffer.alloc(0);
      let prefaceLeft = connectionPreface.byteLength;
      const opened = new Set<number>();
      socket.on("data", (chunk: Buffer) => {
        buf = Buffer.concat([buf, chunk]);
        const skip = Math.min(prefaceLeft, buf.byteLength);
        buf = buf.subarray(skip);
        prefaceLeft -= skip;
        while (buf.byteLength >= 9 && buf.byteLength >= 9 + buf.readUIntBE(0, 3)) {
          const length = buf.readUIntBE(0, 3);
          const [type, flags, id, payload] = [buf[3], buf[4], buf.readUInt32BE(5) & 0x7fffffff, buf.subarray(9, 9 + length)];
          buf = buf.subarray(9 + length);
          if (type === FrameType.SETTINGS && (flags & Flag.ACK) === 0) socket.write(settingsFrame([], true));
          if (type === FrameType.GOAWAY) found.goaways.push({ code: payload.readUInt32BE(4), debug: payload.subarray(8).toString("latin1") });
          if (type === FrameType.RST_STREAM) found.resets.set(id, payload.readUInt32BE(0));
          if (type === FrameType.HEADERS && !opened.has(id)) {
            opened.add(id);
            attack(socket, id);
          }
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    closers.push(() => {
      for (const socket of sockets) socket.destroy();
      server.close();
    });
    found.port = (server.address() as AddressInfo).port;
    return found;
  }

  const responseHeaders: [string, string][] = [
    [":status", "200"],
    ["content-type", "application/grpc"],
  ];

  interface Attack {
    name: string;
    attack(socket: net.Socket, streamId: number): void;
    debug: string | undefined;
  }
  const connectionAttacks: Attack[] = [
    {
      name: "an empty-DATA flood (3,000 frames) on the response",
      attack: (socket, id) => {
        socket.write(headersFrames(id, headerBlock(responseHeaders), false, 16_384));
        socket.write(Buffer.concat(Array.from({ length: 3000 }, () => frame(FrameType.DATA, 0, id))));
      },
      debug: "too_many_empty_frames",
    },
    {
      name: "response headers cut into more than 64 CONTINUATION frames",
      attack: (socket, id) => {
        const block = headerBlock([...responseHeaders, ["x-pad", "p".repeat(200)]]);
        const frames = [frame(FrameType.HEADERS, 0, id, block.subarray(0, 1))];
        for (let i = 1; i < block.byteLength; i++) frames.push(frame(FrameType.CONTINUATION, i === block.byteLength - 1 ? Flag.END_HEADERS : 0, id, block.subarray(i, i + 1)));
        socket.write(Buffer.concat(frames));
      },
      debug: undefined,
    },
    {
      name: "a 1 MiB response header block",
      attack: (socket, id) => socket.write(headersFrames(id, headerBlock([...responseHeaders, ["x-huge", "h".repeat(MiB)]]), false, 16_384)),
      debug: undefined,
    },
  ];

  it.each(connectionAttacks)("$name gets GOAWAY ENHANCE_YOUR_CALM from the client, and the call fails UNAVAILABLE without exhausting memory", async ({ attack, debug }) => {
    const before = await settledMemory();
    const hostile = await hostileServer(attack);
    const error = await clientTo(hostile.port)
      .echo({ message: "x" }, { timeoutMs: 5000 })
      .then(() => undefined, (e: unknown) => e);

    expect(error).toBeInstanceOf(GrpcError);
    expect((error as GrpcError).code).toBe(Code.UNAVAILABLE);
    await waitUntil(() => hostile.goaways.length > 0, 5000, "the client's GOAWAY");
    expect(hostile.goaways[0].code).toBe(ErrorCode.ENHANCE_YOUR_CALM);
    if (debug !== undefined) expect(hostile.goaways[0].debug).toBe(debug);
    await expectMemoryNear(before);
  });

  it("bursts of 300 PINGs and 300 SETTINGS from the server are each answered, with no GOAWAY: the call ends with the server's status", async () => {
    let acks = 0;
    const hostile = await hostileServer((socket, id) => {
      socket.on("data", (chunk: Buffer) => {
        // Counts PING ACKs by the opaque "pingpong" after a header of type PING with the ACK flag.
        for (let i = chunk.indexOf("pingpong"); i >= 0; i = chunk.indexOf("pingpong", i + 1)) if (chunk[i - 6] === FrameType.PING && chunk[i - 5] === Flag.ACK) acks++;
      });
      const pings = Array.from({ length: 300 }, () => pingFrame(Buffer.from("pingpong", "latin1"), false));
      const settings = Array.from({ length: 300 }, () => settingsFrame([]));
      const trailersOnly = headersFrames(id, headerBlock([...responseHeaders, ["grpc-status", String(Code.NOT_FOUND)], ["grpc-message", "after the bursts"]]), true, 16_384);
      socket.write(Buffer.concat([...pings, ...settings, trailersOnly]));
    });
    const error = await clientTo(hostile.port)
      .echo({ message: "x" }, { timeoutMs: 5000 })
      .then(() => undefined, (e: unknown) => e);

    expect(error).toBeInstanceOf(GrpcError);
    expect((error as GrpcError).code).toBe(Code.NOT_FOUND);
    await waitUntil(() => acks === 300, 5000, "300 PING ACKs");
    expect(hostile.goaways).toEqual([]);
  });

  it("a response header list over the client's 64 KiB limit gets RST_STREAM PROTOCOL_ERROR and the call fails INTERNAL", async () => {
    const hostile = await hostileServer((socket, id) => {
      const fields: [string, string][] = [...responseHeaders, ...Array.from({ length: 10_000 }, (_, i): [string, string] => [`x-h${i}`, "v"])];
      socket.write(headersFrames(id, headerBlock(fields), false, 16_384));
    });
    const error = await clientTo(hostile.port)
      .echo({ message: "x" }, { timeoutMs: 5000 })
      .then(() => undefined, (e: unknown) => e);

    expect(error).toBeInstanceOf(GrpcError);
    expect((error as GrpcError).code).toBe(Code.INTERNAL);
    await waitUntil(() => hostile.resets.size > 0, 5000, "the client's RST_STREAM");
    expect(hostile.resets.get(1)).toBe(ErrorCode.PROTOCOL_ERROR);
    expect(hostile.goaways).toEqual([]);
  });
});
