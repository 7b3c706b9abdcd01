/**
 * gRPC calls between a grpckit client and a grpckit server, both on transport-h2,
 * over loopback TCP: every RPC kind, messages larger than every window and frame,
 * many calls at once, cancellation, deadlines and a graceful shutdown.
 */
import { afterEach, describe, expect, it } from "vitest";
import { Code, GrpcError, Metadata, createChannel, createClient, createServer, registerTransport, type Channel, type Server } from "@grpckit/core";
import { h2Transport } from "../src/index.js";
import { EchoService } from "../../core/test/gen/grpckit/test/v1/echo_pb.js";
import { echoImpl, type EchoLog } from "../../core/test/support/echo-service.js";
import { heapBytesAllocated } from "./support/heap-allocation.js";

const transport = h2Transport();
let servers: Server[] = [];
let channels: Channel[] = [];

afterEach(() => {
  for (const c of channels) c.close();
  for (const s of servers) s.forceShutdown();
  servers = [];
  channels = [];
});

async function serve(log?: EchoLog, serverTransport = transport): Promise<{ server: Server; target: string }> {
  const server = createServer({ transport: serverTransport, maxReceiveMessageBytes: 32 << 20 });
  server.addService(EchoService, echoImpl(log));
  const { port } = await server.listen("127.0.0.1:0");
  servers.push(server);
  return { server, target: `127.0.0.1:${port}` };
}

function clientFor(target: string, clientTransport = transport) {
  const channel = createChannel(target, { transport: clientTransport });
  channels.push(channel);
  return createClient(EchoService, channel);
}

async function* messages(n: number, payload?: Uint8Array) {
  for (let i = 0; i < n; i++) yield { message: `m${i}`, payload };
}

describe("calls over transport-h2", () => {
  it("answers a unary call", async () => {
    const { target } = await serve();
    const client = clientFor(target);
    const res = await client.echo({ message: "hello" });
    expect(res.message).toBe("hello");
  });

  it("streams server, client and bidi messages in order", async () => {
    const { target } = await serve();
    const client = clientFor(target);
    const expanded: string[] = [];
    for await (const r of client.expand({ message: "x", repeat: 50 })) expanded.push(`${r.message}${r.index}`);
    expect(expanded).toEqual(Array.from({ length: 50 }, (_, i) => `x${i}`));
    const collected = await client.collect(messages(100));
    expect(collected.index).toBe(100);
    expect(collected.message.split(",")).toEqual(Array.from({ length: 100 }, (_, i) => `m${i}`));
    const chat: number[] = [];
    for await (const r of client.chat(messages(200))) chat.push(r.index);
    expect(chat).toEqual(Array.from({ length: 200 }, (_, i) => i));
  });

  it("carries a 10 MiB message each way, split across windows and frames", async () => {
    const { target } = await serve();
    const client = clientFor(target);
    const payload = new Uint8Array(10 << 20);
    for (let i = 0; i < payload.length; i += 4096) payload[i] = i % 251;
    const res = await client.echo({ message: "big", payload }, { maxReceiveMessageBytes: 32 << 20 });
    expect(res.payload.length).toBe(payload.length);
    expect(Buffer.from(res.payload).equals(Buffer.from(payload))).toBe(true);
  });

  it("completes 1,000 concurrent unary calls on one connection", async () => {
    const { target } = await serve();
    const client = clientFor(target);
    const results = await Promise.all(Array.from({ length: 1000 }, (_, i) => client.echo({ message: `c${i}` })));
    expect(results.map((r) => r.message)).toEqual(Array.from({ length: 1000 }, (_, i) => `c${i}`));
  });

  it("reports a handler's status and message", async () => {
    const { target } = await serve();
    const client = clientFor(target);
    const err = await client.echo({ message: "x", failCode: Code.NOT_FOUND, failMessage: "no such thing" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GrpcError);
    expect((err as GrpcError).code).toBe(Code.NOT_FOUND);
    expect((err as GrpcError).message).toContain("no such thing");
  });

  it("cancels a call at the server when the client aborts", async () => {
    const log: EchoLog = { aborted: [], contexts: [] };
    const { target } = await serve(log);
    const client = clientFor(target);
    const controller = new AbortController();
    const call = client.echo({ message: "slow", delayMs: 5000 }, { signal: controller.signal }).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 100));
    controller.abort();
    const err = await call;
    expect((err as GrpcError).code).toBe(Code.CANCELLED);
    for (let i = 0; i < 50 && log.aborted.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(log.aborted.length).toBe(1);
  });

  it("ends a call past its deadline with DEADLINE_EXCEEDED", async () => {
    const { target } = await serve();
    const client = clientFor(target);
    const err = await client.echo({ message: "slow", delayMs: 5000 }, { timeoutMs: 100 }).catch((e: unknown) => e);
    expect((err as GrpcError).code).toBe(Code.DEADLINE_EXCEEDED);
  });

  it("finishes a call in flight when the server shuts down gracefully, and refuses new ones", async () => {
    const { server, target } = await serve();
    const client = clientFor(target);
    await client.echo({ message: "warm" });
    const inFlight = client.echo({ message: "in flight", delayMs: 300 });
    await new Promise((r) => setTimeout(r, 50));
    const shutdown = server.shutdown();
    expect((await inFlight).message).toBe("in flight");
    await shutdown;
    const err = await client.echo({ message: "after" }, { timeoutMs: 1000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GrpcError);
    expect([Code.UNAVAILABLE, Code.DEADLINE_EXCEEDED]).toContain((err as GrpcError).code);
  });

  it("refuses to send request headers over the server's SETTINGS_MAX_HEADER_LIST_SIZE, with INTERNAL naming both sizes", async () => {
    const log: EchoLog = { aborted: [], contexts: [] };
    const { target } = await serve(log, h2Transport({ settings: { maxHeaderListSize: 1024 } }));
    const client = clientFor(target);
    const metadata = new Metadata();
    metadata.set("x-large", "v".repeat(2000));
    const err = await client.echo({ message: "x" }, { metadata }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GrpcError);
    expect((err as GrpcError).code).toBe(Code.INTERNAL);
    expect((err as GrpcError).message).toMatch(/request header list of \d+ bytes is larger than the server's SETTINGS_MAX_HEADER_LIST_SIZE of 1024/);
    expect(log.contexts).toHaveLength(0);
    expect((await client.echo({ message: "small" })).message).toBe("small");
  });

  it("replaces response trailers over the client's SETTINGS_MAX_HEADER_LIST_SIZE with INTERNAL naming the limit", async () => {
    const server = createServer({ transport });
    server.addService(EchoService, {
      ...echoImpl(),
      async echo(req, ctx) {
        ctx.responseTrailer.set("x-large", "t".repeat(3000));
        return { message: req.message };
      },
    });
    const { port } = await server.listen("127.0.0.1:0");
    servers.push(server);
    const client = clientFor(`127.0.0.1:${port}`, h2Transport({ settings: { maxHeaderListSize: 2048 } }));
    const err = await client.echo({ message: "x" }).catch((e: unknown) => e);
    expect((err as GrpcError).code).toBe(Code.INTERNAL);
    expect((err as GrpcError).message).toContain("larger than the client's SETTINGS_MAX_HEADER_LIST_SIZE of 2048");
  });

  it("is chosen by its registered name, \"h2\"", async () => {
    registerTransport(h2Transport());
    const server = createServer({ transport: "h2" });
    server.addService(EchoService, echoImpl());
    const { port } = await server.listen("127.0.0.1:0");
    servers.push(server);
    const channel = createChannel(`127.0.0.1:${port}`, { transport: "h2" });
    channels.push(channel);
    expect((await createClient(EchoService, channel).echo({ message: "by name" })).message).toBe("by name");
  });

  it("allocates a bounded amount of heap per unary call, client and server counted together", async ({ annotate }) => {
    const { target } = await serve();
    const client = clientFor(target);
    const payload = new Uint8Array(98);
    const run = async (calls: number) => {
      for (let done = 0; done < calls; done += 100) {
        await Promise.all(Array.from({ length: 100 }, () => client.echo({ message: "", payload })));
      }
    };
    await run(2_000);
    const calls = 10_000;
    const perCall = (await heapBytesAllocated(() => run(calls))) / calls;
    await annotate(`V8 heap allocated per unary call, client and server in one process: ${Math.round(perCall)} bytes`);
    // A regression guard, not a speed claim: copying a socket chunk or a header object
    // per frame would add kilobytes per call.
    expect(perCall).toBeGreaterThan(0);
    expect(perCall).toBeLessThan(32 * 1024);
  });
});
