/**
 * Attacks on a grpckit server on transport-h2 running in a process of its own, while a
 * victim client makes steady calls on another connection. Each test prints what it
 * measured (the victim's calls, the server's RSS before and at its peak, what the
 * attacker got through) and asserts the bounds: the victim keeps at least 99% of its
 * calls and the server stays within 256 MiB of where it started.
 */
import type { DescService } from "@bufbuild/protobuf";
import { createChannel, createClient, type Channel } from "@grpckit/core";
import net from "node:net";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ErrorCode, Flag, FrameType, connectionPreface, frame, headersFrames, settingsFrame, windowUpdateFrame } from "../src/frame.js";
import { h2Transport } from "../src/index.js";
import { headerBlock, grpcRequestFields } from "../../transport-http2/test/abuse/raw-h2-connection.js";
import { AttackServer } from "./attack/server-process.js";
import { pump } from "./attack/frame-pump.js";
import { RawPeer } from "./support/raw-peer.js";

const MiB = 1024 * 1024;
const attackMs = 3000;
const memoryBound = 256 * MiB;
const emptyCallPath = "/grpc.testing.TestService/EmptyCall";
/** An empty message in its gRPC frame: not compressed, length 0. */
const emptyMessage = Buffer.alloc(5);

// The server process serves interop's TestService from its build; the victim uses the same.
const testPb = fileURLToPath(new URL("../../../tools/interop/dist/gen/grpc/testing/test_pb.js", import.meta.url));
let TestService: DescService;

beforeAll(async () => {
  ({ TestService } = (await import(pathToFileURL(testPb).href)) as { TestService: DescService });
});

let server: AttackServer | undefined;
let channels: Channel[] = [];

afterEach(async () => {
  for (const c of channels) c.close();
  channels = [];
  await server?.stop();
  server = undefined;
});

afterAll(async () => {
  await server?.stop();
});

/** Steady EmptyCalls, 4 at a time, on a connection of their own until stopped. */
function victim(port: number): { stop(): Promise<{ ok: number; total: number; failures: string[] }> } {
  const channel = createChannel(`127.0.0.1:${port}`, { transport: h2Transport() });
  channels.push(channel);
  const client = createClient(TestService, channel) as unknown as Record<string, (req: object, opts: object) => Promise<unknown>>;
  let running = true;
  let ok = 0;
  let total = 0;
  const failures: string[] = [];
  const loop = async () => {
    for (let i = 0; running && i < 1_000_000; i++) {
      total++;
      try {
        await client.emptyCall({}, { timeoutMs: 5000 });
        ok++;
      } catch (e) {
        if (failures.length < 5) failures.push(String(e));
      }
    }
  };
  const loops = Array.from({ length: 4 }, loop);
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      return { ok, total, failures };
    },
  };
}

/** Runs `attack` against a fresh server process with a victim on another connection; prints and checks the figures. */
async function underAttack(name: string, attack: (port: number) => Promise<string>, bound = memoryBound): Promise<void> {
  server = await AttackServer.start();
  const port = server.port;
  const warm = victim(port);
  await new Promise((resolve) => setTimeout(resolve, 200));
  await warm.stop();
  const before = await server.mark();
  const v = victim(port);
  const attacked = await attack(port);
  const { ok, total, failures } = await v.stop();
  const peak = await server.peak();
  console.log(
    `${name}: victim ${ok}/${total} calls ok; server RSS ${(before / MiB).toFixed(0)} MiB before, ${(peak / MiB).toFixed(0)} MiB at peak (+${((peak - before) / MiB).toFixed(0)}); ${attacked}`,
  );
  expect(failures).toEqual([]);
  expect(ok / total).toBeGreaterThanOrEqual(0.99);
  expect(peak - before).toBeLessThan(bound);
}

/** `count` unary EmptyCalls from `firstId`: HEADERS, then DATA with END_STREAM, then `after` for each. */
function unaryCalls(firstId: number, count: number, after?: (id: number) => Buffer): Buffer {
  const block = headerBlock(grpcRequestFields(emptyCallPath));
  const frames: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const id = firstId + 2 * i;
    frames.push(headersFrames(id, block, false, 16_384), frame(FrameType.DATA, Flag.END_STREAM, id, emptyMessage));
    if (after !== undefined) frames.push(after(id));
  }
  return Buffer.concat(frames);
}

/** HEADERS, DATA with END_STREAM, then WINDOW_UPDATE 0 on the stream, which the server must answer with RST_STREAM. */
function madeYouReset(firstId: number) {
  const streams = 200;
  return { bytes: unaryCalls(firstId, streams, (id) => windowUpdateFrame(id, 0)), streams };
}

describe("server-made resets (MadeYouReset, CVE-2025-8671)", () => {
  it("from a client that reads: the victim keeps its calls and the server its memory", async () => {
    await underAttack("MadeYouReset", async (port) => {
      const r = await pump({ port, durationMs: attackMs, read: true, batch: madeYouReset });
      // Each connection ends once its resets spend the budget; the attacker must reconnect.
      expect(r.connections).toBeGreaterThan(1);
      return `attacker opened ${r.streams} streams over ${r.connections} connections`;
    });
  });

  it("from a client that never reads its socket (CVE-2019-9514): the server's resets do not pile up", async () => {
    await underAttack("MadeYouReset, never read", async (port) => {
      const r = await pump({ port, durationMs: attackMs, read: false, batch: madeYouReset });
      // Each connection ends once its resets spend the budget; the attacker must reconnect.
      expect(r.connections).toBeGreaterThan(1);
      return `attacker opened ${r.streams} streams over ${r.connections} connections`;
    });
  });
});

describe("pipelined unary calls on a socket never read", () => {
  it("stop being read once the connection's queued output passes its bound", async () => {
    await underAttack("pipelined unary calls, never read", async (port) => {
      const r = await pump({ port, durationMs: attackMs, read: false, batch: (id) => ({ bytes: unaryCalls(id, 200), streams: 200 }) });
      return `attacker got ${r.streams} requests into ${r.connections} connections`;
      // One connection that is not read costs the server a bounded amount, however long
      // the attack runs: its output is capped, and past that it is no longer read.
      // Unbounded, the responses pile up at about 70 MiB a second.
    }, 128 * MiB);
  });
});

describe("a client that ignores GOAWAY and keeps writing", () => {
  it("has only a bounded amount read after the connection error", async () => {
    await underAttack("writing after GOAWAY", async (port) => {
      // Half-open allowed: the server's FIN does not end the attacker's writing.
      const socket = net.connect({ port, host: "127.0.0.1", noDelay: true, allowHalfOpen: true });
      socket.on("error", () => {});
      socket.on("data", () => {});
      let closed = false;
      socket.once("close", () => (closed = true));
      await new Promise((resolve) => socket.once("connect", resolve));
      // DATA on stream 0 is a connection error (RFC 9113 section 6.1).
      socket.write(Buffer.concat([connectionPreface, settingsFrame([]), frame(FrameType.DATA, 0, 0, Buffer.alloc(8))]));
      const before = socket.bytesWritten;
      const junk = frame(FrameType.DATA, 0, 1, Buffer.alloc(16_000));
      const chunk = Buffer.concat(Array.from({ length: 64 }, () => junk));
      const end = Date.now() + attackMs;
      while (!closed && Date.now() < end) {
        if (!socket.write(chunk)) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, Math.max(0, end - Date.now()));
            const done = () => {
              clearTimeout(timer);
              resolve();
            };
            socket.once("drain", done);
            socket.once("close", done);
          });
        }
        await new Promise((resolve) => setImmediate(resolve));
      }
      const taken = socket.bytesWritten - socket.writableLength - before;
      socket.destroy();
      console.log(`writing after GOAWAY: the server's socket took ${(taken / MiB).toFixed(1)} MiB after the connection error`);
      // What the kernel buffers on loopback (a few MiB each way) plus the 2 MiB the server reads; reading on would take gigabytes.
      expect(taken).toBeLessThan(32 * MiB);
      return `attacker's bytes taken after the error: ${(taken / MiB).toFixed(1)} MiB`;
    });
  });
});

describe("a header list over the server's limit", () => {
  it("10,000 metadata entries cost only their stream: calls before and after it on the same connection succeed", async () => {
    server = await AttackServer.start();
    const peer = await RawPeer.connect(server.port);
    try {
      const call = (id: number, extra: [string, string][] = []) => {
        peer.headers(id, grpcRequestFields(emptyCallPath, extra));
        peer.data(id, emptyMessage, true);
      };
      call(1);
      const metadata = Array.from({ length: 10_000 }, (_, i): [string, string] => [`x-attack-metadata-${i}`, `value-${i}`]);
      call(3, metadata);
      call(5);
      const [first, big, after] = await Promise.all([peer.response(1, 5000), peer.response(3, 5000), peer.response(5, 5000)]);
      const goaways = peer.frames.filter((f) => f.type === "GOAWAY");
      const refusal = big.headers?.["grpc-status"] ?? `RST_STREAM ${big.rstCode}`;
      console.log(`10,000 metadata entries: their stream got ${refusal}; the calls before and after it got ${first.trailers?.["grpc-status"]} and ${after.trailers?.["grpc-status"]}; GOAWAYs: ${goaways.length}`);
      expect(goaways).toEqual([]);
      expect(big.headers).toMatchObject({ "grpc-status": "8" });
      expect(big.headers?.["grpc-message"]).toContain("header list");
      expect(first.trailers).toMatchObject({ "grpc-status": "0" });
      expect(after.trailers).toMatchObject({ "grpc-status": "0" });
      expect(peer.frames.filter((f) => f.type === "RST_STREAM" && f.code !== ErrorCode.NO_ERROR)).toEqual([]);
    } finally {
      peer.close();
    }
  });
});
