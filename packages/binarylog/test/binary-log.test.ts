/**
 * Binary logs of real calls over HTTP/2 on 127.0.0.1 (transport-h2), written by the
 * file sink on each side and read back from the files with the grpc.binarylog.v1 schema.
 */
import { createReadStream, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { create, toBinary } from "@bufbuild/protobuf";
import { sizeDelimitedDecodeStream } from "@bufbuild/protobuf/wire";
import { durationMs, timestampMs } from "@bufbuild/protobuf/wkt";
import { Code, GrpcError, Metadata, createChannel, createClient, createServer, type Channel, type ChannelOptions, type Server, type ServiceImpl } from "@grpckit/core";
import { h2Transport } from "@grpckit/transport-h2";
import { EchoRequestSchema, EchoResponseSchema } from "../../core/test/gen/grpckit/test/v1/echo_pb.js";
import { EchoService, echoImpl } from "../../core/test/support/echo-service.js";
import {
  Address_Type,
  GrpcLogEntrySchema,
  GrpcLogEntry_EventType as T,
  GrpcLogEntry_Logger as L,
  binaryLog,
  fileSink,
  type FileSink,
  type GrpcLogEntry,
} from "../src/index.js";

const transport = h2Transport();
const dir = mkdtempSync(join(tmpdir(), "grpckit-binarylog-"));
const cleanup: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});
process.on("exit", () => rmSync(dir, { recursive: true, force: true }));

const echo = "/grpckit.test.v1.EchoService/Echo";
let nextFile = 0;

/** A file sink that also counts its entries, so a test can wait for the last one before reading the file. */
function countedSink(): { sink: FileSink; path: string; count: () => number } {
  const path = join(dir, `log-${nextFile++}.bin`);
  const file = fileSink(path);
  let n = 0;
  const sink: FileSink = {
    get dropped() {
      return file.dropped;
    },
    write(e) {
      n++;
      file.write(e);
    },
    close: () => file.close(),
  };
  return { sink, path, count: () => n };
}

/** Every entry of a binary log file, decoded with the grpc.binarylog.v1 schema. */
async function readLog(sink: FileSink, path: string): Promise<GrpcLogEntry[]> {
  await sink.close();
  const out: GrpcLogEntry[] = [];
  for await (const e of sizeDelimitedDecodeStream(GrpcLogEntrySchema, createReadStream(path))) out.push(e);
  return out;
}

async function until(what: string, ready: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !ready(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!ready()) throw new Error(`timed out waiting for ${what}`);
}

async function start(opts: { filter?: string; impl?: ServiceImpl<typeof EchoService>; channel?: ChannelOptions } = {}) {
  const filter = opts.filter ?? "*";
  const client = countedSink();
  const server = countedSink();
  const srv: Server = createServer({ transport, statsHandlers: [binaryLog({ filter, sink: server.sink })] }).addService(EchoService, opts.impl ?? echoImpl());
  const { address } = await srv.listen("127.0.0.1:0");
  const channel: Channel = createChannel(address, { transport, statsHandlers: [binaryLog({ filter, sink: client.sink })], ...opts.channel });
  cleanup.push(() => srv.forceShutdown());
  cleanup.push(() => channel.close());
  return { address, client, server, echo: createClient(EchoService, channel), port: Number(address.split(":")[1]) };
}

const types = (entries: GrpcLogEntry[]) => entries.map((e) => T[e.type]);
const metadataOf = (e: GrpcLogEntry) => {
  const p = e.payload;
  const md = p.case === "clientHeader" || p.case === "serverHeader" || p.case === "trailer" ? p.value.metadata : undefined;
  return Object.fromEntries((md?.entry ?? []).map((x) => [x.key, new TextDecoder().decode(x.value)]));
};
const messageOf = (e: GrpcLogEntry) => (e.payload.case === "message" ? e.payload.value : undefined);
const trailerOf = (e: GrpcLogEntry) => (e.payload.case === "trailer" ? e.payload.value : undefined);
const requestBytes = (init: { message: string }) => toBinary(EchoRequestSchema, create(EchoRequestSchema, init));
const responseBytes = (init: { message: string; index?: number }) => toBinary(EchoResponseSchema, create(EchoResponseSchema, init));

/** The entries of one call: one call id, sequence ids 1..n, in the order written. */
function expectOneCall(entries: GrpcLogEntry[], logger: L): void {
  expect(entries.length).toBeGreaterThan(0);
  expect(entries[0].callId).toBeGreaterThan(0n);
  expect(new Set(entries.map((e) => e.callId)).size).toBe(1);
  expect(entries.map((e) => e.sequenceIdWithinCall)).toEqual(entries.map((_, i) => BigInt(i + 1)));
  expect(entries.every((e) => e.logger === logger)).toBe(true);
  const times = entries.map((e) => timestampMs(e.timestamp!));
  expect([...times].sort((a, b) => a - b)).toEqual(times);
}

describe("binary logging (gRFC A16)", () => {
  it("logs every entry of a unary call on the client and on the server, with headers, messages, trailer and peers", async () => {
    const { address, client, server, echo: c, port } = await start();
    const md = new Metadata();
    md.set("x-echo", "ping");
    md.set("user-agent", "tester");
    const before = Date.now();
    expect((await c.echo({ message: "hello" }, { metadata: md, timeoutMs: 30_000 })).message).toBe("hello");
    await until("the server's entries", () => server.count() === 6);

    const cl = await readLog(client.sink, client.path);
    expectOneCall(cl, L.CLIENT);
    expect(types(cl)).toEqual(["CLIENT_HEADER", "CLIENT_MESSAGE", "CLIENT_HALF_CLOSE", "SERVER_HEADER", "SERVER_MESSAGE", "SERVER_TRAILER"]);
    expect(timestampMs(cl[0].timestamp!)).toBeGreaterThanOrEqual(before - 1);
    const header = cl[0].payload.case === "clientHeader" ? cl[0].payload.value : undefined;
    expect(header).toMatchObject({ methodName: echo, authority: address });
    expect(durationMs(header!.timeout!)).toBeGreaterThan(25_000);
    expect(durationMs(header!.timeout!)).toBeLessThanOrEqual(30_000);
    // The application's metadata only: user-agent is the transport's.
    expect(metadataOf(cl[0])).toEqual({ "x-echo": "ping" });
    expect(cl[0].peer).toBeUndefined();
    expect(messageOf(cl[1])).toMatchObject({ length: 7, data: requestBytes({ message: "hello" }) });
    expect(cl[1].payloadTruncated).toBe(false);
    // The client logs the server's address with the first thing it received from it.
    expect(cl[3].peer).toMatchObject({ type: Address_Type.IPV4, address: "127.0.0.1", ipPort: port });
    expect(metadataOf(cl[3])).toEqual({ "x-echo": "ping" });
    expect(messageOf(cl[4])).toMatchObject({ length: 7, data: responseBytes({ message: "hello" }) });
    expect(cl.slice(4).every((e) => e.peer === undefined)).toBe(true);
    expect(trailerOf(cl[5])).toMatchObject({ statusCode: 0, statusMessage: "" });
    expect(metadataOf(cl[5])).toEqual({ "x-trailer": "done" });

    const sv = await readLog(server.sink, server.path);
    expectOneCall(sv, L.SERVER);
    expect(types(sv)).toEqual(["CLIENT_HEADER", "CLIENT_MESSAGE", "CLIENT_HALF_CLOSE", "SERVER_HEADER", "SERVER_MESSAGE", "SERVER_TRAILER"]);
    expect(sv[0].payload.case === "clientHeader" && sv[0].payload.value).toMatchObject({ methodName: echo, authority: address });
    expect(metadataOf(sv[0])).toEqual({ "x-echo": "ping" });
    expect(sv[0].peer).toMatchObject({ type: Address_Type.IPV4, address: "127.0.0.1" });
    expect(sv[0].peer!.ipPort).toBeGreaterThan(0);
    expect(sv[0].peer!.ipPort).not.toBe(port);
    expect(sv.slice(1).every((e) => e.peer === undefined)).toBe(true);
    expect(messageOf(sv[1])).toMatchObject({ length: 7, data: requestBytes({ message: "hello" }) });
    expect(messageOf(sv[4])).toMatchObject({ length: 7, data: responseBytes({ message: "hello" }) });
    expect(trailerOf(sv[5])).toMatchObject({ statusCode: 0 });
    expect(metadataOf(sv[5])).toEqual({ "x-trailer": "done" });
    console.log(`unary call: ${cl.length} client entries, ${sv.length} server entries`);
  });

  it("logs each message of a server-streaming call and a failed status with its message", async () => {
    const { client, server, echo: c } = await start();
    const got: string[] = [];
    await expect(
      (async () => {
        for await (const r of c.expand({ message: "ab", repeat: 3, failCode: Code.NOT_FOUND, failMessage: "no more" })) got.push(r.message);
      })(),
    ).rejects.toMatchObject({ code: Code.NOT_FOUND });
    expect(got).toEqual(["ab", "ab", "ab"]);
    await until("the server's entries", () => server.count() === 8);

    for (const [entries, logger] of [
      [await readLog(client.sink, client.path), L.CLIENT],
      [await readLog(server.sink, server.path), L.SERVER],
    ] as const) {
      expectOneCall(entries, logger);
      expect(types(entries)).toEqual([
        "CLIENT_HEADER",
        "CLIENT_MESSAGE",
        "CLIENT_HALF_CLOSE",
        "SERVER_HEADER",
        "SERVER_MESSAGE",
        "SERVER_MESSAGE",
        "SERVER_MESSAGE",
        "SERVER_TRAILER",
      ]);
      expect(entries.slice(4, 7).map((e) => messageOf(e)?.data)).toEqual([0, 1, 2].map((index) => responseBytes({ message: "ab", index })));
      expect(trailerOf(entries[7])).toMatchObject({ statusCode: Code.NOT_FOUND, statusMessage: "no more" });
    }
  });

  it("logs a call the client cancels as CANCEL on both sides, with what was exchanged before it", async () => {
    const { client, server, echo: c } = await start();
    const controller = new AbortController();
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    cleanup.push(() => release());
    async function* requests() {
      yield { message: "first" };
      await held;
    }
    const it = c.chat(requests(), { signal: controller.signal })[Symbol.asyncIterator]();
    expect((await it.next()).value).toMatchObject({ message: "first" });
    controller.abort();
    await expect(it.next()).rejects.toMatchObject({ code: Code.CANCELLED });
    await until("the server's CANCEL", () => server.count() === 5);

    const cl = await readLog(client.sink, client.path);
    expectOneCall(cl, L.CLIENT);
    expect(types(cl)).toEqual(["CLIENT_HEADER", "CLIENT_MESSAGE", "SERVER_HEADER", "SERVER_MESSAGE", "CANCEL"]);
    expect(cl[4].payload.case).toBeUndefined();
    const sv = await readLog(server.sink, server.path);
    expectOneCall(sv, L.SERVER);
    expect(types(sv)).toEqual(["CLIENT_HEADER", "CLIENT_MESSAGE", "SERVER_HEADER", "SERVER_MESSAGE", "CANCEL"]);
    expect(messageOf(sv[1])?.data).toEqual(requestBytes({ message: "first" }));
  });

  it("logs the DEADLINE_EXCEEDED status a client made itself as its SERVER_TRAILER", async () => {
    const { client, echo: c } = await start();
    await expect(c.echo({ message: "slow", delayMs: 5_000 }, { timeoutMs: 50 })).rejects.toMatchObject({ code: Code.DEADLINE_EXCEEDED });
    const cl = await readLog(client.sink, client.path);
    expectOneCall(cl, L.CLIENT);
    expect(types(cl)).toEqual(["CLIENT_HEADER", "CLIENT_MESSAGE", "CLIENT_HALF_CLOSE", "SERVER_TRAILER"]);
    expect(trailerOf(cl[3])).toMatchObject({ statusCode: Code.DEADLINE_EXCEEDED });
  });

  it("logs each attempt of a call retried twice as a call of its own, on both sides", async () => {
    let served = 0;
    const { client, server, echo: c, port } = await start({
      impl: {
        ...echoImpl(),
        echo(req) {
          if (++served <= 2) throw new GrpcError(Code.UNAVAILABLE, `attempt ${served} refused`);
          return { message: req.message };
        },
      },
      channel: {
        defaultServiceConfig: {
          methodConfig: [
            {
              name: [{ service: "grpckit.test.v1.EchoService" }],
              retryPolicy: { maxAttempts: 3, initialBackoff: "0.01s", maxBackoff: "0.01s", backoffMultiplier: 1, retryableStatusCodes: ["UNAVAILABLE"] },
            },
          ],
        },
      },
    });
    expect((await c.echo({ message: "again" })).message).toBe("again");
    await until("the server's entries", () => server.count() === 4 + 4 + 6);

    const byCall = (entries: GrpcLogEntry[]) => {
      const calls = new Map<bigint, GrpcLogEntry[]>();
      for (const e of entries) calls.set(e.callId, [...(calls.get(e.callId) ?? []), e]);
      return [...calls.values()];
    };
    const cl = byCall(await readLog(client.sink, client.path));
    expect(cl).toHaveLength(3);
    for (const attempt of cl) expectOneCall(attempt, L.CLIENT);
    for (const [i, attempt] of cl.slice(0, 2).entries()) {
      // A failed attempt's answer is trailers-only: its trailer carries the server's address.
      expect(types(attempt)).toEqual(["CLIENT_HEADER", "CLIENT_MESSAGE", "CLIENT_HALF_CLOSE", "SERVER_TRAILER"]);
      expect(trailerOf(attempt[3])).toMatchObject({ statusCode: Code.UNAVAILABLE, statusMessage: `attempt ${i + 1} refused` });
      expect(attempt[3].peer).toMatchObject({ type: Address_Type.IPV4, address: "127.0.0.1", ipPort: port });
    }
    expect(types(cl[2])).toEqual(["CLIENT_HEADER", "CLIENT_MESSAGE", "CLIENT_HALF_CLOSE", "SERVER_HEADER", "SERVER_MESSAGE", "SERVER_TRAILER"]);
    expect(trailerOf(cl[2][5])).toMatchObject({ statusCode: 0 });
    // Each attempt sends the request again, and says so in grpc-previous-rpc-attempts (not logged: it is gRPC's own).
    expect(cl.map((a) => messageOf(a[1])?.data)).toEqual([0, 1, 2].map(() => requestBytes({ message: "again" })));
    expect(cl.map((a) => metadataOf(a[0]))).toEqual([{}, {}, {}]);

    const sv = byCall(await readLog(server.sink, server.path));
    expect(sv).toHaveLength(3);
    for (const call of sv) expectOneCall(call, L.SERVER);
    expect(sv.map(types)).toEqual([
      ["CLIENT_HEADER", "CLIENT_MESSAGE", "CLIENT_HALF_CLOSE", "SERVER_TRAILER"],
      ["CLIENT_HEADER", "CLIENT_MESSAGE", "CLIENT_HALF_CLOSE", "SERVER_TRAILER"],
      ["CLIENT_HEADER", "CLIENT_MESSAGE", "CLIENT_HALF_CLOSE", "SERVER_HEADER", "SERVER_MESSAGE", "SERVER_TRAILER"],
    ]);
    console.log(`retried call: ${served} server calls, ${cl.length} client call ids, ${sv.length} server call ids`);
  });

  it("logs only what the filter selects, cut to its header and message limits, with payload_truncated set", async () => {
    const { client, server, echo: c } = await start({ filter: "grpckit.test.v1.EchoService/*{h:13;m:4},-grpckit.test.v1.EchoService/Collect" });
    const md = new Metadata();
    md.set("x-a", "12345"); // 3 + 5 bytes: within 13
    md.set("x-bb", "123456"); // 4 + 6 more: over, so cut here
    md.set("x-c", "1");
    await c.echo({ message: "a longer message" }, { metadata: md });
    await c.collect([{ message: "not logged" }]);
    await until("the server's entries", () => server.count() === 6);

    const cl = await readLog(client.sink, client.path);
    expectOneCall(cl, L.CLIENT);
    expect(types(cl)).toEqual(["CLIENT_HEADER", "CLIENT_MESSAGE", "CLIENT_HALF_CLOSE", "SERVER_HEADER", "SERVER_MESSAGE", "SERVER_TRAILER"]);
    expect(metadataOf(cl[0])).toEqual({ "x-a": "12345" });
    expect(cl[0].payloadTruncated).toBe(true);
    const full = requestBytes({ message: "a longer message" });
    expect(messageOf(cl[1])).toMatchObject({ length: full.byteLength, data: full.subarray(0, 4) });
    expect(cl[1].payloadTruncated).toBe(true);
    // x-echo is not set, so the server's header has nothing to cut; its trailer, 9 + 4 bytes, just fits.
    expect(cl[3].payloadTruncated).toBe(false);
    expect(metadataOf(cl[5])).toEqual({ "x-trailer": "done" });
    expect(cl[5].payloadTruncated).toBe(false);
    const sv = await readLog(server.sink, server.path);
    expect(sv.map((e) => e.payload.case === "clientHeader" && e.payload.value.methodName).filter(Boolean)).toEqual([echo]);
  });

  it("logs metadata with {h} and no message bytes, length kept, when only headers are asked for", async () => {
    const { client, echo: c } = await start({ filter: "grpckit.test.v1.EchoService/Echo{h}" });
    await c.echo({ message: "secret" });
    const cl = await readLog(client.sink, client.path);
    const sent = messageOf(cl[1]);
    expect(sent).toMatchObject({ length: requestBytes({ message: "secret" }).byteLength });
    expect(sent?.data.byteLength).toBe(0);
    expect(cl[1].payloadTruncated).toBe(true);
  });
});
